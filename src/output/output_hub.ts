/**
 * The output pipeline: copies each child's stdout/stderr pipe to its file,
 * byte for byte, with bounded memory, and never sits on a program's bytes.
 *
 * How a relay works: it reads the pipe with a BYOB reader into one reused
 * buffer (at most 128 KiB per stream; a pipe read returns at most 64 KiB)
 * and hands what it read to the destination {@link LogFile}. The next read
 * only starts once the previous block is written, so a slow or stuck
 * destination fills the child's pipe and stalls the child instead of growing
 * the daemon's memory (back-pressure).
 *
 * Partial lines (no newline yet: a prompt, a `\r` progress bar, a read that
 * ended inside a line):
 * - A file of its own gets every byte at once, partial lines included; the
 *   rest of a line continues it (no newline added, no second timestamp).
 * - A file shared with other streams (two programs, or the instances of one,
 *   naming one path) is where the whole-line rule matters: a partial line is
 *   kept back until its newline comes, for at most `flushPartialAfterMs` of
 *   quiet (the program's `flush_partial_after`), or until it reaches 64 KiB.
 *   Lines written in pieces therefore never interleave with another stream's
 *   lines; a line whose writer pauses longer than that is written as far as
 *   it got, and if another stream's line comes before its rest, the file
 *   ends the open line with a newline first (see {@link LogFile}), so lines
 *   still never mix.
 * Subscribers ({@link OutputHub.subscribe}: `tail -f`, `attach`) get every
 * byte as soon as it is read.
 *
 * Sharing a file: every relay whose target names the same path in one hub
 * shares one {@link LogFile} (one descriptor, one size count, one rotation).
 * The first relay to open a path decides its rotation settings. Paths are
 * compared as strings: two spellings of one file (a symlink) get two writers,
 * which still append whole blocks (O_APPEND). A program whose stdout and
 * stderr name one file has one pipe for both (the spawner's combined output),
 * so its bytes arrive in the order it wrote them.
 *
 * @module
 */

import { LogFile } from "./log_file.ts";
import { LineStamper, timestampPrefix } from "./line_stamp.ts";
import { type ByteSource, openByteSource, type ReadResult } from "./byte_source.ts";

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
  /**
   * In a file shared with other streams, how long a partial line (no newline
   * yet) is kept back waiting for the rest; 0 writes it at once. A file of
   * its own gets every byte at once regardless.
   */
  readonly flushPartialAfterMs: number;
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

/** A running relay's name and destination, changed by {@link OutputHub.retarget}. */
interface Route {
  key: string;
  path: string | null;
  file: LogFile | null;
}

interface OpenFile {
  refs: number;
  readonly file: Promise<LogFile>;
}

/** Relays child output streams to files; see the module doc. */
export class OutputHub {
  readonly #report: (message: string) => void;
  readonly #closeGraceMs: number;
  readonly #files = new Map<string, OpenFile>();
  /** Bytes that could not be written, by path, for as long as the daemon runs. */
  readonly #dropped = new Map<string, number>();
  readonly #listeners = new Map<string, Set<(chunk: Uint8Array) => void>>();
  /** Running relays, with their source so close() can cancel a stream that never ends. */
  readonly #active = new Map<Promise<void>, ByteSource>();
  /** Where each running relay publishes and writes; {@link retarget} moves it. */
  readonly #routes = new Map<string, Route>();
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

  /**
   * Moves the running relay `key` to `newKey` (its followers' name) and to
   * `target`'s file: an instance renamed by a numprocs change (`web` →
   * `web:0`) writes its default log under its new name from now on. A held
   * partial line goes to the new file. Nothing happens if `key` is not relaying.
   */
  async retarget(key: string, newKey: string, target: OutputTarget): Promise<void> {
    const route = this.#routes.get(key);
    if (route === undefined) return;
    this.#routes.delete(key);
    route.key = newKey;
    this.#routes.set(newKey, route);
    if (target.path === route.path) return;
    const next = target.path === null ? null : await this.#acquire(target.path, target);
    const previous = route.path;
    route.file = next;
    route.path = target.path;
    if (previous !== null) await this.#release(previous);
  }

  /** Reopens every open file (SIGUSR2 after an external logrotate moved them). */
  async reopen(): Promise<void> {
    const files = await Promise.all([...this.#files.values()].map((entry) => entry.file));
    await Promise.all(files.map((file) => file.reopen()));
  }

  /** Bytes of output that could not be written to `path` (a full disk…) so far. */
  droppedBytes(path: string | null): number {
    return path === null ? 0 : this.#dropped.get(path) ?? 0;
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
    const route: Route = {
      key,
      path: target.path,
      file: target.path === null ? null : await this.#acquire(target.path, target),
    };
    this.#routes.set(key, route);
    try {
      const stamper = target.timestamps ? new LineStamper() : null;
      const put = (block: Uint8Array): Promise<void> | undefined => {
        const file = route.file;
        if (file === null) return undefined;
        // Another stream's line ended ours in a shared file: ours restarts on a line of its own.
        if (stamper !== null && !stamper.atLineStart && !file.continuesLineOf(route.key)) {
          stamper.atLineStart = true;
        }
        const bytes = stamper === null ? block : stamper.stamp(block, timestampPrefix(Date.now()));
        return file.write(bytes, route.key);
      };
      let buffer = new ArrayBuffer(MIN_BUFFER);
      let carry = 0; // bytes of a partial line held at the front of buffer
      let smallReads = 0;
      let held: Uint8Array | null = null;
      for (;;) {
        // A cancelled BYOB read loses the buffer, so close() would lose the held
        // partial line: keep a copy of it (usually a few dozen bytes) across the read.
        held = carry > 0 ? new Uint8Array(buffer, 0, carry).slice() : null;
        // A held partial line goes to the file once the stream has been quiet a while.
        const quiet = held === null ? null : quietFlush(held, target.flushPartialAfterMs, put);
        let result: ReadResult;
        try {
          result = await source.read(new Uint8Array(buffer, carry, buffer.byteLength - carry));
        } finally {
          quiet?.cancel();
        }
        const flushed = quiet?.fired ?? false;
        if (quiet?.writing !== undefined) await quiet.writing;
        const { chunk, done } = result;
        if (chunk === null) {
          if (flushed) held = null;
          break; // cancelled: `held` has the partial line unless it was flushed
        }
        buffer = chunk.buffer as ArrayBuffer; // a BYOB read transfers the buffer
        const n = chunk.length;
        if (n > 0) {
          const listeners = this.#listeners.get(route.key);
          if (listeners !== undefined) this.#publish(listeners, chunk);
        }
        if (flushed && carry > 0) {
          // The held partial line is in the file already: only the new bytes remain.
          new Uint8Array(buffer).copyWithin(0, carry, carry + n);
          carry = 0;
        }
        if (done) {
          held = carry > 0 ? new Uint8Array(buffer, 0, carry) : null;
          break;
        }
        const file = route.file;
        const room = buffer.byteLength - carry;
        const end = carry + n;
        const bytes = new Uint8Array(buffer, 0, end);
        if (file === null) {
          // Discard: read and drop, nothing is held.
        } else if (!this.#holdsPartialLines(file.path, target)) {
          // Nothing to interleave with: every byte goes to the file as it comes.
          const pending = put(bytes);
          if (pending !== undefined) await pending;
          carry = 0;
        } else {
          const lastNewline = bytes.lastIndexOf(NEWLINE);
          if (lastNewline >= 0) {
            const pending = put(bytes.subarray(0, lastNewline + 1));
            if (pending !== undefined) await pending;
            carry = end - lastNewline - 1;
            if (carry > 0) bytes.copyWithin(0, lastNewline + 1, end);
          } else if (end >= PARTIAL_LINE_LIMIT) {
            const pending = put(bytes);
            if (pending !== undefined) await pending;
            carry = 0;
          } else {
            carry = end;
          }
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
      if (held !== null) {
        // The last line had no newline: it is written as is (byte-exact capture).
        const pending = put(held);
        if (pending !== undefined) await pending;
      }
    } finally {
      if (this.#routes.get(route.key) === route) this.#routes.delete(route.key);
      if (route.path !== null) await this.#release(route.path);
    }
  }

  /**
   * Whether a stream writing to `path` keeps a partial line back (for at most
   * its quiet period): only when another stream shares the file, so a line
   * is not cut by the other stream's lines merely because a read ended in it.
   */
  #holdsPartialLines(path: string, target: OutputTarget): boolean {
    return target.flushPartialAfterMs > 0 && (this.#files.get(path)?.refs ?? 0) > 1;
  }

  async #acquire(path: string, settings: OutputTarget): Promise<LogFile> {
    let entry = this.#files.get(path);
    if (entry === undefined) {
      const onDrop = (bytes: number) =>
        this.#dropped.set(path, (this.#dropped.get(path) ?? 0) + bytes);
      entry = { refs: 0, file: LogFile.open(path, settings, this.#report, onDrop) };
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

/** A pending write of a held partial line, due when the stream stays quiet. */
interface QuietFlush {
  /** Whether the line was handed to the file. */
  readonly fired: boolean;
  /** The write in progress when the destination is asynchronous. */
  readonly writing: Promise<void> | undefined;
  cancel(): void;
}

/** Hands `line` to `put` after `delayMs` unless cancelled first (0: at once). */
function quietFlush(
  line: Uint8Array,
  delayMs: number,
  put: (block: Uint8Array) => Promise<void> | undefined,
): QuietFlush {
  const state = {
    fired: false,
    writing: undefined as Promise<void> | undefined,
    cancel: () => clearTimeout(timer),
  };
  const timer = setTimeout(() => {
    state.fired = true;
    state.writing = put(line);
  }, delayMs);
  return state;
}

function resize(buffer: ArrayBuffer, keep: number, size: number): ArrayBuffer {
  const next = new ArrayBuffer(size);
  if (keep > 0) new Uint8Array(next).set(new Uint8Array(buffer, 0, keep));
  return next;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
