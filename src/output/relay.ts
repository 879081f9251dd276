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

import type { ByteSource, ReadResult } from "./byte_source.ts";
import { LineStamper, timestampPrefix } from "./line_stamp.ts";
import type { LogFile } from "./log_file.ts";

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
/** A read shorter than this counts toward giving a grown buffer back. */
const SMALL_READ = 1024;
/** Consecutive small reads after which a grown buffer is given back. */
const SHRINK_AFTER = 64;

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
  /** Whether partial lines are held back for the file at `path` (it is shared). */
  readonly holdsPartialLines: (path: string) => boolean;
}

/**
 * Copies `source` to `route`'s file (its current one at each write) until
 * EOF or cancellation; the last partial line is written as is.
 */
export async function copyStream(
  source: ByteSource,
  target: OutputTarget,
  route: Route,
  hooks: CopyHooks,
): Promise<void> {
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
  // Null while a quiet stream waits for bytes with nothing held (a source
  // that can say when it is readable): 2 KB less per instance (issue 17).
  const whenReadable = source.whenReadable?.bind(source);
  let buffer: ArrayBuffer | null = whenReadable ? null : new ArrayBuffer(MIN_BUFFER);
  let carry = 0; // bytes of a partial line held at the front of buffer
  let smallReads = 0;
  let held: Uint8Array | null = null;
  for (;;) {
    if (buffer === null) {
      await whenReadable?.();
      buffer = new ArrayBuffer(MIN_BUFFER);
    }
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
    if (n > 0) hooks.publish(route.key, chunk);
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
    } else if (!hooks.holdsPartialLines(file.path)) {
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
    if (whenReadable && n < room && carry === 0 && buffer.byteLength === MIN_BUFFER) {
      buffer = null; // drained: wait without it
    } else if (n === room && buffer.byteLength < MAX_BUFFER) {
      buffer = resize(buffer, carry, Math.min(MAX_BUFFER, buffer.byteLength * 8));
      smallReads = 0;
    } else if (buffer.byteLength > MIN_BUFFER && n < SMALL_READ && carry < MIN_BUFFER / 2) {
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
