/**
 * One relay's copy loop: reads a child's pipe into one reused buffer and
 * hands the bytes to its file, holding a partial line back when the file
 * is shared (see output_hub.ts for the rules), timestamping lines when
 * asked, and publishing every chunk to followers as soon as it is read.
 *
 * Memory stays bounded: the buffer starts at {@link MIN_BUFFER}, grows up to
 * {@link MAX_BUFFER} for a stream whose reads fill it and is given back
 * after {@link SHRINK_AFTER} small reads; a partial line longer than
 * {@link PARTIAL_LINE_LIMIT} is written anyway. The next read starts only
 * once the previous block is written (back-pressure to the child).
 *
 * @module
 */

import type { ByteSource, ReadableListener, ReadResult } from "./byte_source.ts";
import { LineStamper, timestampPrefix } from "./line_stamp.ts";
import type { LogFile } from "./log_file.ts";
import { type IdleCandidate, unwatchIdle, watchIdle } from "./idle_sweep.ts";
import { floodCopiesAllowed, FloodEnd, trackFloodCopy } from "./native_copy.ts";

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

const NEWLINE = 10;
/** A partial line longer than this is written anyway (bounded memory). */
export const PARTIAL_LINE_LIMIT = 64 * 1024;
/** Buffer of a busy stream: room for a full pipe read after a maximal partial line. */
const MAX_BUFFER = 2 * PARTIAL_LINE_LIMIT;
/**
 * Buffer of a quiet stream (most of them), grown 8× each time a read fills it.
 * Every instance holds two (stdout, stderr) for as long as it runs: at 4 KiB
 * they were ~9 KB of its ~42 KB of daemon memory (issue 17).
 */
const MIN_BUFFER = 1024;
/**
 * A read this large means the stream floods: its pipe is widened. Not a
 * full 64 KiB: a writer of one line per write(2) never fills a default
 * pipe to its last byte (100-byte lines stop at 64,000).
 */
const FLOOD_READ = 32 * 1024;
/** Buffer of a flood copied natively: a widened pipe's whole content. */
const FLOOD_BUFFER = 1024 * 1024;

/** Streams whose pipe is widened for a flood right now, daemon-wide. */
let widened = 0;

/**
 * How many streams flood now (their pipe widened, until they calm, fall
 * silent or end): the daemon holds its start-up collection while any does,
 * a full collection and code faulted back being a stall in mid-flood.
 */
export function floodingStreams(): number {
  return widened;
}

/** A rotated file this close to its limit rotates through the relay's own writes first. */
const MIN_FLOOD_ROOM = 64 * 1024;
/** A read shorter than this counts toward giving a grown buffer back. */
const SMALL_READ = 1024;
/** Consecutive small reads after which a grown buffer is given back. */
const SHRINK_AFTER = 64;
/**
 * How long a loop copies without giving the event loop a turn. A pipe read
 * directly never waits while a flood keeps it full, and the file is written
 * synchronously: without a turn, a status request (or another stream) waited
 * for the whole flood (50 MB: one status answer in ~50 ms, in CI).
 */
const PUMP_SLICE_MS = 5;

/** A running relay's name and destination; the hub's retarget changes them mid-stream. */
export interface Route {
  key: string;
  path: string | null;
  file: LogFile | null;
}

/** What the loop asks of its hub. */
export interface CopyHooks {
  /** Hands a chunk just read to the followers of `key`. */
  readonly publish: (key: string, chunk: Uint8Array) => void;
  /** Whether other streams write to the file at `path` too (partial lines are then held back). */
  readonly sharesFile: (path: string) => boolean;
  /** Whether anyone but the file wants `key`'s bytes (a follower, a subscriber). */
  readonly isFollowed: (key: string) => boolean;
}

/** How a copy ended: null when it reached EOF or was cancelled, else what failed. */
export type CopyEnd = { readonly error: unknown } | null;

/** Told once how a copy ended: an object (the hub's relay), not a closure per stream. */
export interface CopyEndListener {
  copyEnded(end: CopyEnd): void;
}

/**
 * Copies `source` to `route`'s file (its current one at each write) until
 * EOF or cancellation; the last partial line is written as is. `onEnd` is
 * told once, after the last write, and never synchronously: a failure,
 * even at the start, comes through it, never as a throw. A listener rather than a promise: a
 * daemon holds one per stream for as long as it runs (issue 17).
 */
export function startCopy(
  source: ByteSource,
  target: OutputTarget,
  route: Route,
  hooks: CopyHooks,
  onEnd: CopyEndListener,
): void {
  new CopyLoop(source, target, route, hooks, onEnd).start();
}

/**
 * The loop of {@link startCopy}. A source that can say when it is readable
 * (a pipe read directly) is waited for with a callback, between two runs of
 * the loop, not inside one: a quiet stream then costs this object and one
 * entry in the poller's map, with no buffer, promise chain or suspended
 * async function held while it waits (issue 17).
 */
class CopyLoop implements ReadableListener, IdleCandidate {
  readonly #source: ByteSource;
  readonly #target: OutputTarget;
  readonly #route: Route;
  readonly #hooks: CopyHooks;
  readonly #stamper: LineStamper | null;
  /** Whether the source can say when it is readable and read without waiting. */
  readonly #parks: boolean;
  #smallReads = 0;
  /** A grown buffer kept while parked: a busy stream that caught up keeps its size. */
  #buffer: ArrayBuffer | null = null;
  #onEnd: CopyEndListener | null;
  /** While start() asks the source to tell when it is readable. */
  #starting = false;
  /** The source was widened for a flood, and is under the idle sweep until narrowed. */
  #wide = false;
  /** Read from since the idle sweep last looked (only looked at while {@link #wide}). */
  touched = false;
  /** A native copy failed (file moved, write error): this flood is read here until it calms. */
  #copyRefused = false;
  /** What a native copy reads into: kept while the pipe is wide (the flood goes on). */
  #floodBuffer: ArrayBuffer | null = null;

  constructor(
    source: ByteSource,
    target: OutputTarget,
    route: Route,
    hooks: CopyHooks,
    onEnd: CopyEndListener,
  ) {
    this.#source = source;
    this.#target = target;
    this.#route = route;
    this.#hooks = hooks;
    this.#stamper = target.timestamps ? new LineStamper() : null;
    this.#parks = source.onReadable !== undefined && source.readNow !== undefined;
    this.#onEnd = onEnd;
  }

  start(): void {
    try {
      this.#starting = true;
      if (this.#parks) this.#source.onReadable!(this);
      else this.#run(null);
    } catch (error) {
      // Never before the caller has its callback in place.
      queueMicrotask(() => this.#end({ error }));
    } finally {
      this.#starting = false;
    }
  }

  /**
   * The source is readable again: what the poller holds while the stream is
   * quiet is this. A quiet stream's wake-up is read here first, into a
   * scratch buffer, the read the copy loop would begin with: one that finds
   * the pipe empty parks again and one that finds its end ends the relay,
   * without the copy loop's promise, closures and buffer (a stop of 100
   * ends 200 pipes this way). Bytes go on to the copy loop in a buffer of
   * its own.
   */
  readable(): void {
    if (this.#starting) {
      // Told during start(): the end is never told before startCopy returns.
      queueMicrotask(() => this.readable());
      return;
    }
    // Only a parking source (onReadable and readNow) tells this.
    if (this.#buffer !== null) {
      this.#run(null);
      return;
    }
    try {
      const first = this.#source.readNow!(SCRATCH);
      if (first === null) {
        this.#source.onReadable!(this);
        return;
      }
      const { chunk, done } = first;
      if (chunk === null || (done && chunk.length === 0)) {
        // Nothing is held while parked: the end (or a cancel) leaves nothing to write.
        this.#end(null);
        return;
      }
      const view = new Uint8Array(new ArrayBuffer(MIN_BUFFER), 0, chunk.length);
      view.set(chunk);
      this.#run({ chunk: view, done });
    } catch (error) {
      this.#end({ error });
    }
  }

  #run(first: ReadResult | null): void {
    this.#pump(first).then((parked) => {
      if (parked) this.#source.onReadable!(this);
      else this.#end(null);
    }).catch((error) => this.#end({ error }));
  }

  /**
   * The idle sweep found no read since it last looked (a second or two): a
   * stream that flooded and then fell silent gives its pipe's room back,
   * and its parked buffer.
   */
  closeIdle(): void {
    if (!this.#wide) return;
    this.#narrow();
    this.#buffer = null;
  }

  #widen(): void {
    if (this.#wide || this.#source.widen === undefined) return;
    this.#wide = true;
    widened++;
    this.touched = true;
    this.#source.widen();
    watchIdle(this);
  }

  #narrow(): void {
    if (!this.#wide) return;
    this.#unwiden();
    this.#copyRefused = false;
    this.#source.narrow?.();
  }

  /** Out of the wide state (and the daemon's count of floods), off the idle sweep. */
  #unwiden(): void {
    this.#wide = false;
    widened--;
    this.#floodBuffer = null;
    unwatchIdle(this);
  }

  #end(end: CopyEnd): void {
    this.#floodBuffer = null;
    if (this.#wide) this.#unwiden();
    const onEnd = this.#onEnd;
    this.#onEnd = null;
    onEnd?.copyEnded(end);
  }

  /**
   * The inode of `file` when a flood into it may be copied natively now
   * (native_copy.ts says when), else null.
   */
  #floodIno(file: LogFile): number | null {
    const copies = this.#source.copyFlood !== undefined && this.#stamper === null &&
      !this.#copyRefused && floodCopiesAllowed() && !this.#hooks.isFollowed(this.#route.key) &&
      !this.#hooks.sharesFile(file.path) && file.room >= MIN_FLOOD_ROOM;
    return copies ? file.floodIno(this.#route.key) : null;
  }

  /**
   * Has native code copy the flood into `file` until it calms, ends or ran
   * its time; false when it copied nothing and cannot. The bytes it read
   * last are published if a follower came meanwhile.
   */
  async #copyFlood(file: LogFile, ino: number): Promise<boolean> {
    const key = this.#route.key;
    const buffer = this.#floodBuffer ??= new ArrayBuffer(FLOOD_BUFFER);
    const copying = this.#source.copyFlood!(file.path, ino, new Uint8Array(buffer), file.room);
    if (copying === null) {
      this.#copyRefused = true;
      return false;
    }
    // The file's end moves with the copy before anyone waiting for it goes on (a clear, a newcomer).
    const copied = await trackFloodCopy(copying.then((copied) => {
      const { written, afterNewline, lastWritten } = copied;
      // The open line's bytes, for rotation to move whole, when the last read holds them.
      const openLine = afterNewline > 0 && afterNewline <= lastWritten
        ? new Uint8Array(buffer, lastWritten - afterNewline, afterNewline)
        : null;
      file.appendedElsewhere(written, afterNewline, key, openLine);
      return copied;
    }));
    if (copied.written > 0) this.touched = true;
    const lastRead = new Uint8Array(buffer, 0, copied.lastRead);
    // Followed since the copy began: its last read may be newer than the follower.
    if (copied.lastRead > 0 && this.#hooks.isFollowed(this.#route.key)) {
      this.#hooks.publish(this.#route.key, lastRead);
    }
    if (copied.end === FloodEnd.Write || copied.end === FloodEnd.Open) this.#copyRefused = true;
    if (copied.lastWritten < copied.lastRead) {
      // Written the usual way: the file rotates first, or the failure is reported and counted.
      const pending = this.#put(lastRead.subarray(copied.lastWritten));
      if (pending !== undefined) await pending;
    }
    return copied.written > 0 || copied.end !== FloodEnd.Open;
  }

  #put(block: Uint8Array): Promise<void> | undefined {
    const route = this.#route;
    const file = route.file;
    if (file === null) return undefined;
    const stamper = this.#stamper;
    // Another stream's line ended ours in a shared file: ours restarts on a line of its own.
    if (stamper !== null && !stamper.atLineStart && !file.continuesLineOf(route.key)) {
      stamper.atLineStart = true;
    }
    const bytes = stamper === null ? block : stamper.stamp(block, timestampPrefix(Date.now()));
    return file.write(bytes, route.key);
  }

  /**
   * Reads and writes until the stream ends (false) or, for a source that
   * can say when it is readable, until it is drained with nothing held
   * (true: park until it is readable again). `first`, when given, is the
   * first read's result, made into a buffer of {@link MIN_BUFFER} bytes.
   */
  async #pump(first: ReadResult | null): Promise<boolean> {
    const source = this.#source;
    const target = this.#target;
    const route = this.#route;
    const hooks = this.#hooks;
    const put = (block: Uint8Array) => this.#put(block);
    const parks = this.#parks;
    let buffer = (first?.chunk?.buffer as ArrayBuffer | undefined) ?? this.#buffer ??
      new ArrayBuffer(MIN_BUFFER);
    this.#buffer = null;
    let carry = 0; // bytes of a partial line held at the front of buffer
    let held: Uint8Array | null = null;
    let sliceStart = performance.now();
    for (;;) {
      // A cancelled BYOB read loses the buffer, so close() would lose the held
      // partial line: keep a copy of it (usually a few dozen bytes) across the read.
      held = carry > 0 ? new Uint8Array(buffer, 0, carry).slice() : null;
      let result: ReadResult;
      let flushed = false;
      if (first !== null) {
        result = first;
        first = null;
      } else if (parks && held === null) {
        // Nothing held: an empty pipe (a wake-up whose bytes an earlier read
        // took, a drain's poke) parks the loop instead of waiting in a read.
        const now = source.readNow!(new Uint8Array(buffer));
        if (now === null) {
          if (buffer.byteLength > MIN_BUFFER) this.#buffer = buffer;
          return true;
        }
        result = now;
      } else {
        // A held partial line goes to the file once the stream has been quiet a while.
        const quiet = held === null ? null : quietFlush(held, target.flushPartialAfterMs, put);
        try {
          result = await source.read(new Uint8Array(buffer, carry, buffer.byteLength - carry));
        } finally {
          quiet?.cancel();
        }
        flushed = quiet?.fired ?? false;
        if (quiet?.writing !== undefined) await quiet.writing;
      }
      const { chunk, done } = result;
      if (chunk === null) {
        if (flushed) held = null;
        break; // cancelled: `held` has the partial line unless it was flushed
      }
      buffer = chunk.buffer as ArrayBuffer; // a BYOB read transfers the buffer
      const n = chunk.length;
      if (n > 0) hooks.publish(route.key, chunk);
      if (n >= FLOOD_READ) this.#widen();
      this.touched = true;
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
      } else if (target.flushPartialAfterMs <= 0 || !hooks.sharesFile(file.path)) {
        // Nothing to interleave with: every byte goes to the file as it comes.
        const pending = put(bytes);
        if (pending !== undefined) await pending;
        carry = 0;
        const ino = n >= FLOOD_READ && parks ? this.#floodIno(file) : null;
        if (ino !== null) {
          // Reading goes on here where the copy left off (at the end, or back to a trickle).
          if (await this.#copyFlood(file, ino)) {
            sliceStart = performance.now();
            continue;
          }
        }
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
      if (parks && n < room && carry === 0 && buffer.byteLength === MIN_BUFFER) {
        return true; // drained: wait without a buffer
      } else if (n === room && buffer.byteLength < MAX_BUFFER) {
        buffer = resize(buffer, carry, Math.min(MAX_BUFFER, buffer.byteLength * 8));
        this.#smallReads = 0;
      } else if (buffer.byteLength > MIN_BUFFER && n < SMALL_READ && carry < MIN_BUFFER / 2) {
        if (++this.#smallReads >= SHRINK_AFTER) {
          buffer = resize(buffer, carry, MIN_BUFFER);
          this.#smallReads = 0;
          // Calm again: the pipe's room goes back with the buffer.
          this.#narrow();
        }
      } else {
        this.#smallReads = 0;
      }
      // Only a source read without waiting can hold the loop: a stream's reads are I/O already.
      if (parks && performance.now() - sliceStart >= PUMP_SLICE_MS) {
        await (source.nextTurn?.() ?? nextTurn());
        sliceStart = performance.now();
      }
    }
    if (held !== null) {
      // The last line had no newline: it is written as is (byte-exact capture).
      const pending = put(held);
      if (pending !== undefined) await pending;
    }
    return false;
  }
}

/**
 * Where a parked loop's wake-up is read first ({@link CopyLoop.readable}):
 * the size of the buffer its copy loop would have read into. Shared, as
 * nothing is left in it past the call that reads into it.
 */
const SCRATCH = new Uint8Array(MIN_BUFFER);

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

/**
 * Resolves in a later turn of the event loop, after the I/O pending now,
 * for a source without a cheaper way. A zero-delay timer: 1–4 ms inside a
 * flood (the nesting clamp); setImmediate (~12 µs) runs before the
 * socket's I/O, so a status request still waited for the whole flood.
 */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
