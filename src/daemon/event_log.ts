/**
 * taskmaster's own event log: one line per event with an ISO timestamp and a
 * level, in a size-rotated file (logtape), plus live listeners for `log -f`
 * and an optional echo (the `--no-shell` foreground mode prints it).
 *
 * @module
 */

import { configure, getLogger, type LogRecord, reset } from "@logtape/logtape";
import { getRotatingFileSink } from "@logtape/file";

/** Event levels, lowest first. */
export type EventLevel = "debug" | "info" | "warning" | "error";

const LABEL: Record<string, string> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO",
  warning: "WARN",
  error: "ERROR",
  fatal: "FATAL",
};

/** The event log of one daemon. */
export class EventLog {
  #listeners = new Set<(line: string) => void>();
  #logger = getLogger(["taskmaster"]);
  #echo: ((line: string) => void) | null;
  readonly path: string;

  private constructor(path: string, echo: ((line: string) => void) | null) {
    this.path = path;
    this.#echo = echo;
  }

  /** Opens (creating directories as needed) and configures rotation. */
  static async open(options: {
    path: string;
    maxBytes: number;
    backups: number;
    level: EventLevel;
    echo?: (line: string) => void;
  }): Promise<EventLog> {
    const dir = options.path.slice(0, options.path.lastIndexOf("/"));
    if (dir !== "") await Deno.mkdir(dir, { recursive: true });
    const log = new EventLog(options.path, options.echo ?? null);
    await configure({
      reset: true,
      sinks: {
        file: getRotatingFileSink(options.path, {
          // Every record is handed to the file at once (no buffering), but
          // the write and its fsync run off the event loop: a burst of 1000
          // spawns or stops must not wait on 2000 fsyncs.
          bufferSize: 0,
          nonBlocking: true,
          maxSize: options.maxBytes > 0 ? options.maxBytes : Number.MAX_SAFE_INTEGER,
          maxFiles: Math.max(1, options.backups),
          formatter: formatLine,
        }),
        live: (record: LogRecord) => log.#fanOut(formatLine(record)),
      },
      loggers: [
        { category: ["taskmaster"], sinks: ["file", "live"], lowestLevel: options.level },
        { category: ["logtape", "meta"], sinks: [], lowestLevel: "error" },
      ],
    });
    return log;
  }

  /**
   * Writes one event. Lines are queued and handed to the file in a
   * microtask: a burst (stop all, 1000 spawns) signals every process first
   * and formats its log lines after, each stamped with its own time.
   */
  write(level: EventLevel, message: string): void {
    this.#pending.push({ level, message, at: Date.now() });
    if (this.#pending.length === 1) queueMicrotask(() => this.#flush());
  }

  #pending: { level: EventLevel; message: string; at: number }[] = [];

  #flush(): void {
    const pending = this.#pending;
    this.#pending = [];
    for (const { level, message, at } of pending) {
      // The message travels as a property so braces in it are never read as placeholders.
      this.#logger[level === "warning" ? "warn" : level]("{message}", { message, at });
    }
  }

  /** Live copy of every line written from now on; returns the unsubscribe function. */
  subscribe(listener: (line: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #fanOut(line: string): void {
    this.#echo?.(line);
    for (const listener of this.#listeners) listener(line);
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    this.#flush();
    this.#listeners.clear();
    await reset();
  }
}

function formatLine(record: LogRecord): string {
  const message = String(record.properties.message ?? record.rawMessage);
  const at = typeof record.properties.at === "number" ? record.properties.at : record.timestamp;
  return `${new Date(at).toISOString()} ${LABEL[record.level] ?? record.level} ${message}\n`;
}
