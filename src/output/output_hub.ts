/**
 * The output pipeline: copies each child's stdout/stderr pipe to its file,
 * byte for byte, with bounded memory.
 *
 * How a relay works: it reads the pipe with a BYOB reader into one reused
 * buffer (at most 128 KiB per stream; a pipe read returns at most 64 KiB),
 * hands the complete lines to the destination {@link LogFile} and keeps the
 * partial trailing line in the front of the buffer until its newline arrives.
 * The next read only starts once the previous block is written, so a slow or
 * stuck destination fills the child's pipe and stalls the child instead of
 * growing the daemon's memory (back-pressure).
 *
 * Sharing a file: every relay whose target names the same path in one hub
 * shares one {@link LogFile} (one descriptor, one size count, one rotation).
 * This holds for stdout and stderr of one process and equally for two
 * different programs that name the same file: each relay hands over whole
 * lines only, so lines from different streams interleave in arrival order but
 * are never cut into each other. A partial line is written early only at EOF
 * or once it reaches 64 KiB (memory stays bounded); only then can another
 * stream's line land inside it. The first relay to open a path decides its
 * rotation settings. Paths are compared as strings: two spellings of one file
 * (a symlink) get two writers, which still append whole blocks (O_APPEND).
 *
 * Consequence of whole-line writing: a partial line (a prompt without a
 * newline) reaches the file when its newline comes, at 64 KiB or at EOF.
 * Subscribers ({@link OutputHub.subscribe}) get every byte as soon as it is read.
 *
 * @module
 */

import { LogFile } from "./log_file.ts";
import { LineStamper, timestampPrefix } from "./line_stamp.ts";
import { type ByteSource, openByteSource } from "./byte_source.ts";

/** Where one relayed stream goes. */
export interface OutputTarget {
  /** Absolute file path to append to, or null to discard. */
  readonly path: string | null;
  /** Rotate when the file would exceed this many bytes; 0 = never. */
  readonly maxBytes: number;
  /** Rotated files kept: `name.1` (newest) … `name.N`; 0 truncates in place. */
  readonly backups: number;
  /** Prefix each line with an ISO timestamp (UTC, ms) and a space. */
  readonly timestamps: boolean;
}

/** Options of {@link OutputHub}. */
export interface OutputHubOptions {
  /** Receives every error (open, write, read, listener); never throws. @default ignore */
  readonly onError?: (message: string) => void;
  /** How long {@link OutputHub.close} waits for streams to reach EOF before cancelling them. @default 2000 */
  readonly closeGraceMs?: number;
}

const NEWLINE = 10;
/** A partial line longer than this is written anyway (bounded memory). */
export const PARTIAL_LINE_LIMIT = 64 * 1024;
/** Buffer of a busy stream: room for a full pipe read after a maximal partial line. */
const MAX_BUFFER = 2 * PARTIAL_LINE_LIMIT;
/** Buffer of a quiet stream (most of them): small, grown when a read fills it. */
const MIN_BUFFER = 4 * 1024;
/** Consecutive small reads after which a grown buffer is given back. */
const SHRINK_AFTER = 64;

interface OpenFile {
  refs: number;
  readonly file: Promise<LogFile>;
}

/** Relays child output streams to files; see the module doc. */
export class OutputHub {
  readonly #report: (message: string) => void;
  readonly #closeGraceMs: number;
  readonly #files = new Map<string, OpenFile>();
  readonly #listeners = new Map<string, Set<(chunk: Uint8Array) => void>>();
  /** Running relays, with their source so close() can cancel a stream that never ends. */
  readonly #active = new Map<Promise<void>, ByteSource>();
  #closed = false;

  constructor(options: OutputHubOptions = {}) {
    const onError = options.onError;
    this.#report = (message) => {
      try {
        onError?.(message);
      } catch {
        // A failing error sink must not take the relay down with it.
      }
    };
    this.#closeGraceMs = options.closeGraceMs ?? 2000;
  }

  /**
   * Copies `stream` to `target` until EOF. Resolves once every byte read has
   * been written (or discarded); never rejects. `key` (like `web:0:stdout`)
   * names the stream for {@link subscribe}.
   */
  relay(key: string, stream: ReadableStream<Uint8Array>, target: OutputTarget): Promise<void> {
    if (this.#closed) {
      stream.cancel().catch(() => {});
      return Promise.resolve();
    }
    const source = openByteSource(stream);
    const run = this.#run(key, source, target).catch((error) => {
      this.#report(`Cannot relay output of "${key}": ${messageOf(error)}`);
    });
    const tracked = run.finally(() => {
      this.#active.delete(tracked);
      source.release();
    });
    this.#active.set(tracked, source);
    return tracked;
  }

  /**
   * Calls `listener` with a copy of every chunk relayed under `key` from now
   * on, discarded streams included. Returns the unsubscribe function.
   */
  subscribe(key: string, listener: (chunk: Uint8Array) => void): () => void {
    let set = this.#listeners.get(key);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(key, set);
    }
    // A wrapper per call, so subscribing the same function twice needs two unsubscribes.
    const entry = (chunk: Uint8Array) => listener(chunk);
    set.add(entry);
    return () => {
      const current = this.#listeners.get(key);
      if (current === undefined) return;
      current.delete(entry);
      if (current.size === 0) this.#listeners.delete(key);
    };
  }

  /** Reopens every open file (SIGUSR2 after an external logrotate moved them). */
  async reopen(): Promise<void> {
    const files = await Promise.all([...this.#files.values()].map((entry) => entry.file));
    await Promise.all(files.map((file) => file.reopen()));
  }

  /**
   * Truncates the file at `path` to zero bytes (the `clear` command); rotated
   * backups stay. A missing file is already clear. Rejects if truncation fails.
   */
  async clear(path: string): Promise<void> {
    const entry = this.#files.get(path);
    if (entry !== undefined) {
      await (await entry.file).clear();
      return;
    }
    try {
      await Deno.truncate(path, 0);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw new Error(`Cannot clear "${path}": ${messageOf(error)}`, { cause: error });
    }
  }

  /**
   * Shutdown: lets running relays reach EOF (children are stopped first, so
   * they normally do) for up to `closeGraceMs`, cancels the rest (a grandchild
   * may hold a pipe open forever), writes every held partial line and closes
   * every file. Later relays are cancelled at once.
   */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#active.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#closeGraceMs);
      });
      await Promise.race([Promise.all(this.#active.keys()), grace]);
      clearTimeout(timer);
      for (const source of this.#active.values()) await source.cancel();
      await Promise.all(this.#active.keys());
    }
    const files = await Promise.all([...this.#files.values()].map((entry) => entry.file));
    this.#files.clear();
    await Promise.all(files.map((file) => file.close()));
  }

  // --- internals ---------------------------------------------------------

  async #run(key: string, source: ByteSource, target: OutputTarget): Promise<void> {
    const file = target.path === null ? null : await this.#acquire(target.path, target);
    try {
      const stamper = target.timestamps ? new LineStamper() : null;
      let buffer = new ArrayBuffer(MIN_BUFFER);
      let carry = 0; // bytes of a partial line held at the front of buffer
      let smallReads = 0;
      let held: Uint8Array | null = null;
      for (;;) {
        // A cancelled BYOB read loses the buffer, so close() would lose the held
        // partial line: keep a copy of it (usually a few dozen bytes) across the read.
        held = carry > 0 ? new Uint8Array(buffer, 0, carry).slice() : null;
        const { chunk, done } = await source.read(
          new Uint8Array(buffer, carry, buffer.byteLength - carry),
        );
        if (chunk === null) break; // cancelled: `held` has the partial line
        buffer = chunk.buffer as ArrayBuffer; // a BYOB read transfers the buffer
        if (done) {
          held = carry > 0 ? new Uint8Array(buffer, 0, carry) : null;
          break;
        }
        const n = chunk.length;
        const listeners = this.#listeners.get(key);
        if (listeners !== undefined) this.#publish(listeners, chunk);
        const room = buffer.byteLength - carry;
        const end = carry + n;
        const bytes = new Uint8Array(buffer, 0, end);
        const lastNewline = file === null ? -1 : bytes.lastIndexOf(NEWLINE);
        if (file === null) {
          // Discard: read and drop, nothing is held.
        } else if (lastNewline >= 0) {
          const pending = write(file, stamper, bytes.subarray(0, lastNewline + 1));
          if (pending !== undefined) await pending;
          carry = end - lastNewline - 1;
          if (carry > 0) bytes.copyWithin(0, lastNewline + 1, end);
        } else if (end >= PARTIAL_LINE_LIMIT) {
          const pending = write(file, stamper, bytes);
          if (pending !== undefined) await pending;
          carry = 0;
        } else {
          carry = end;
        }
        // Size the buffer to the stream: grow when a read filled it, give it back when quiet.
        if (n === room && buffer.byteLength < MAX_BUFFER) {
          buffer = resize(buffer, carry, MAX_BUFFER);
          smallReads = 0;
        } else if (buffer.byteLength > MIN_BUFFER && n < MIN_BUFFER / 4 && carry < MIN_BUFFER / 2) {
          if (++smallReads >= SHRINK_AFTER) {
            buffer = resize(buffer, carry, MIN_BUFFER);
            smallReads = 0;
          }
        } else {
          smallReads = 0;
        }
      }
      if (file !== null && held !== null) {
        // The last line had no newline: it is written as is (byte-exact capture).
        const pending = write(file, stamper, held);
        if (pending !== undefined) await pending;
      }
    } finally {
      if (target.path !== null) await this.#release(target.path);
    }
  }

  async #acquire(path: string, settings: OutputTarget): Promise<LogFile> {
    let entry = this.#files.get(path);
    if (entry === undefined) {
      entry = { refs: 0, file: LogFile.open(path, settings, this.#report) };
      this.#files.set(path, entry);
    }
    entry.refs++;
    return await entry.file;
  }

  async #release(path: string): Promise<void> {
    const entry = this.#files.get(path);
    if (entry === undefined || --entry.refs > 0) return;
    this.#files.delete(path);
    await (await entry.file).close();
  }

  #publish(listeners: Set<(chunk: Uint8Array) => void>, chunk: Uint8Array): void {
    const copy = chunk.slice(); // the read buffer is reused
    for (const listener of listeners) {
      try {
        listener(copy);
      } catch (error) {
        this.#report(`Output listener failed: ${messageOf(error)}`);
      }
    }
  }
}

function write(
  file: LogFile,
  stamper: LineStamper | null,
  block: Uint8Array,
): Promise<void> | undefined {
  if (stamper === null) return file.write(block);
  return file.write(stamper.stamp(block, timestampPrefix(Date.now())));
}

function resize(buffer: ArrayBuffer, keep: number, size: number): ArrayBuffer {
  const next = new ArrayBuffer(size);
  if (keep > 0) new Uint8Array(next).set(new Uint8Array(buffer, 0, keep));
  return next;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
