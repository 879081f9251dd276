/**
 * Lines typed by the user, from wherever they come: piped stdin, a readline
 * interface, or a test. The shell loop reads commands from a
 * {@link LineSource}, and `attach` reads the lines it forwards to a process
 * from the same one, so typed-ahead lines are never lost between them.
 *
 * @module
 */

/** A pull-based source of text lines. */
export interface LineSource {
  /**
   * The next line without its line ending; `null` at end of input, or when
   * `signal` aborts first (the line, if one arrives later, stays queued).
   */
  next(signal?: AbortSignal): Promise<string | null>;
}

/**
 * `promise`'s value, or `null` as soon as `signal` aborts. The abort
 * listener is removed afterwards, so a long `attach` does not pile them up.
 */
export function raceAbort<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T | null> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.resolve(null);
  let onAbort = (): void => {};
  const abort = new Promise<null>((resolve) => {
    onAbort = () => resolve(null);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([promise, abort]).finally(() => signal.removeEventListener("abort", onAbort));
}

/**
 * Lines of a byte stream (UTF-8, `\n` or `\r\n` endings). A final line
 * without a newline is still returned. {@link StreamLineSource.close}
 * cancels the stream.
 */
export class StreamLineSource implements LineSource {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #decoder = new TextDecoder();
  #buffer = "";
  #done = false;
  // A read that an abort left behind; the next call picks its result up.
  #pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  async next(signal?: AbortSignal): Promise<string | null> {
    for (;;) {
      const newline = this.#buffer.indexOf("\n");
      if (newline >= 0) {
        const line = this.#buffer.slice(0, newline);
        this.#buffer = this.#buffer.slice(newline + 1);
        return line.endsWith("\r") ? line.slice(0, -1) : line;
      }
      if (this.#done) {
        if (this.#buffer === "") return null;
        const last = this.#buffer;
        this.#buffer = "";
        return last;
      }
      if (signal?.aborted) return null;
      this.#pending ??= this.#reader.read();
      const result = await raceAbort(this.#pending, signal);
      if (result === null) return null;
      this.#pending = null;
      if (result.done) {
        this.#done = true;
        this.#buffer += this.#decoder.decode();
      } else {
        this.#buffer += this.#decoder.decode(result.value, { stream: true });
      }
    }
  }

  /** Stops reading: cancels the underlying stream. */
  async close(): Promise<void> {
    this.#done = true;
    await this.#reader.cancel().catch(() => {});
  }
}

/**
 * Lines pushed by someone else (readline's `line` events). `end()` marks the
 * end of input: queued lines are still delivered, then `null` forever.
 */
export class QueueLineSource implements LineSource {
  #lines: string[] = [];
  #ended = false;
  #waiters: Array<() => void> = [];

  push(line: string): void {
    this.#lines.push(line);
    this.#wake();
  }

  end(): void {
    this.#ended = true;
    this.#wake();
  }

  /** True once `end()` was called. */
  get ended(): boolean {
    return this.#ended;
  }

  async next(signal?: AbortSignal): Promise<string | null> {
    for (;;) {
      const line = this.#lines.shift();
      if (line !== undefined) return line;
      if (this.#ended || signal?.aborted) return null;
      const woken = new Promise<"woken">((resolve) => this.#waiters.push(() => resolve("woken")));
      if ((await raceAbort(woken, signal)) === null) return null;
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
