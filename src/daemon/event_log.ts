/**
 * taskmaster's own event log: one line per event with an ISO timestamp and a
 * level, plus live listeners for `log -f` and an optional echo (the
 * `--no-shell` foreground mode prints it). The file is a {@link LogFile},
 * the same writer as program output: the same size rotation, and SIGUSR2's
 * reopen (for an external logrotate) covers it like every other log file.
 *
 * @module
 */

import { LogFile } from "../output/log_file.ts";

/** Event levels, lowest first. */
export type EventLevel = "debug" | "info" | "warning" | "error";

const RANK: Readonly<Record<EventLevel, number>> = { debug: 0, info: 1, warning: 2, error: 3 };

const LABEL: Readonly<Record<EventLevel, string>> = {
  debug: "DEBUG",
  info: "INFO",
  warning: "WARN",
  error: "ERROR",
};

const encoder = new TextEncoder();

/** The event log of one daemon. */
export class EventLog {
  #listeners = new Set<(line: string) => void>();
  #echo: ((lines: string) => void) | null;
  #file: LogFile;
  #lowest: number;
  #pending: { level: EventLevel; message: string; at: number }[] = [];
  readonly path: string;

  private constructor(file: LogFile, level: EventLevel, echo: ((lines: string) => void) | null) {
    this.path = file.path;
    this.#file = file;
    this.#lowest = RANK[level];
    this.#echo = echo;
  }

  /**
   * Opens (creating directories as needed) for appending, rotating past
   * `maxBytes` (0: never) into `backups` files (0: truncated in place, as
   * supervisord does). Never rejects for the file: a failure to open or
   * write goes to `report` (default: stderr) and the lines are dropped.
   */
  static async open(options: {
    path: string;
    maxBytes: number;
    backups: number;
    level: EventLevel;
    /** Told the lines of each write together (several, each ending in a newline). */
    echo?: (lines: string) => void;
    report?: (message: string) => void;
  }): Promise<EventLog> {
    const file = await LogFile.open(
      options.path,
      { maxBytes: options.maxBytes, backups: options.backups },
      options.report ?? reportToStderr,
      // Closing it when idle would put CPU into an idle daemon's quiet time
      // (the close one to two seconds after the last event), for one descriptor.
      { keepOpen: true },
    );
    return new EventLog(file, options.level, options.echo ?? null);
  }

  /**
   * Writes one event. Lines are queued and written in a microtask, all in
   * one write: a burst (stop all, 1000 spawns) signals every process first
   * and formats its log lines after, each stamped with its own time.
   */
  write(level: EventLevel, message: string): void {
    if (RANK[level] < this.#lowest) return;
    this.#pending.push({ level, message, at: Date.now() });
    if (this.#pending.length === 1) queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    const pending = this.#pending;
    if (pending.length === 0) return;
    this.#pending = [];
    const lines = pending.map(({ level, message, at }) =>
      `${new Date(at).toISOString()} ${LABEL[level]} ${message}\n`
    );
    const text = lines.join("");
    this.#file.write(encoder.encode(text));
    // One write for the burst (a stop of hundreds logs a line or two each).
    this.#echo?.(text);
    for (const listener of this.#listeners) {
      for (const line of lines) listener(line);
    }
  }

  /** Live copy of every line written from now on; returns the unsubscribe function. */
  subscribe(listener: (line: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Reopens the path (SIGUSR2, after an external `mv`): new lines go to a fresh file. */
  reopen(): Promise<void> {
    return this.#file.reopen();
  }

  /** Writes what is queued and closes the file. */
  async close(): Promise<void> {
    this.#flush();
    this.#listeners.clear();
    await this.#file.close();
  }
}

function reportToStderr(message: string): void {
  try {
    Deno.stderr.writeSync(encoder.encode(`taskmaster: event log: ${message}\n`));
  } catch {
    // Nobody is listening.
  }
}
