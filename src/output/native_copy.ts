/**
 * A flood copied in native code (native/flood_copy.c) on one of Deno's
 * worker threads: the relay hands over a pipe that reads full and gets it
 * back when the flood calms, ends, or runs ~20 ms, so the event loop stays
 * free for requests and other streams meanwhile, and a flood costs a
 * splice(2) per block (the bytes copied once, in the kernel) instead of an
 * FFI round trip per read (issue 17: captures were at 0.65-0.86x a shell
 * redirect).
 *
 * Only where nothing but the file wants the bytes: a regular file of the
 * stream's own, without timestamps, and nobody following the stream; a
 * rotated file gets whole lines up to its limit, the relay rotating first
 * for the rest. {@link interruptFloodCopies} brings every copy back at once
 * when that may have changed (a follower, a file newly shared), and
 * {@link holdFloodCopies} also keeps new ones from starting while the hub
 * changes a file under them (clear, reopen, a relay moved to another file).
 *
 * @module
 */

import { cString } from "../process/libc.ts";
import { openSharedObject } from "../process/shared_object.ts";
import { SHARED_OBJECT_X86_64 } from "./native_copy_code.ts";

/** What native/flood_copy.c exports. */
export const COPY_SYMBOLS = {
  tm_copy_flood: {
    parameters: ["i32", "buffer", "u64", "buffer", "u32", "u64", "u32", "buffer", "buffer"],
    result: "void",
    nonblocking: true,
  },
} as const;

/** How a copy ended (native/flood_copy.c's END_*). */
export const FloodEnd = {
  /** The pipe's writers are all gone. */
  Eof: 0,
  /** The pipe stayed empty ~2 ms. */
  Quiet: 1,
  /** The time was spent, or a read would pass the byte budget (its rest is unwritten). */
  Budget: 2,
  /** Interrupted ({@link interruptFloodCopies} or a cancel). */
  Stop: 3,
  /** The log file is not the one expected (moved, replaced) or cannot be opened. */
  Open: 4,
  /** A write failed: the last read's bytes from {@link FloodCopy.lastWritten} on are unwritten. */
  Write: 5,
  /** A read failed with something other than EAGAIN. */
  Read: 6,
} as const;
export type FloodEnd = typeof FloodEnd[keyof typeof FloodEnd];

/** What one copy did. */
export interface FloodCopy {
  /** Bytes appended to the file. */
  readonly written: number;
  readonly end: FloodEnd;
  /** Bytes of the last read, at the buffer's start (after a splice: the open line, if short). */
  readonly lastRead: number;
  /** Bytes written after the last newline written; -1 when none was. */
  readonly afterNewline: number;
  /** errno of what failed (Open, Write, Read). */
  readonly errno: number;
  /** How many of the last read's bytes were written: the rest are the caller's to write. */
  readonly lastWritten: number;
}

/** How long one copy runs before the relay looks at its stream again. */
const MAX_MS = 20;

/** One flooding stream's handles to the native loop, kept while it floods. */
export class FloodCopier {
  /** Non-zero asks the running copy to come back (read by the C loop before each read). */
  readonly #stop = new Int32Array(1);
  readonly #out = new BigInt64Array(6);

  /** Whether a copy is under way. */
  get running(): boolean {
    return running.has(this);
  }

  /**
   * Copies from `fd` (a non-blocking pipe, read by nobody else meanwhile)
   * to the regular file at `path` if its inode is still `ino`, through
   * `buffer`, until the flood calms, ends, is interrupted or ran its time;
   * at most `maxBytes`, cut after a newline (a rotated file's room).
   */
  async copy(
    fd: number,
    path: string,
    ino: number,
    buffer: Uint8Array<ArrayBuffer>,
    maxBytes: number,
  ): Promise<FloodCopy> {
    const copyFlood = nativeCopy()!;
    this.#stop[0] = 0;
    floodCopyTotals.started++;
    running.add(this);
    try {
      await copyFlood(
        fd,
        cString(path),
        BigInt(ino),
        buffer,
        buffer.byteLength,
        BigInt(Math.min(maxBytes, Number.MAX_SAFE_INTEGER)),
        MAX_MS,
        this.#stop,
        this.#out,
      );
    } finally {
      running.delete(this);
    }
    const out = this.#out;
    floodCopyTotals.bytes += Number(out[0]);
    return {
      written: Number(out[0]),
      end: Number(out[1]) as FloodEnd,
      lastRead: Number(out[2]),
      afterNewline: Number(out[3]),
      errno: Number(out[4]),
      lastWritten: Number(out[5]),
    };
  }

  /** Asks the running copy, if any, to come back before its next read. */
  interrupt(): void {
    if (this.running) this.#stop[0] = 1;
  }
}

/** What native copies moved since the daemon started (tests read it). */
export const floodCopyTotals = { started: 0, bytes: 0 };

/** Copies under way: {@link interruptFloodCopies} reaches them. */
const running = new Set<FloodCopier>();
/** Each copy under way until its relay has accounted for it (see {@link trackFloodCopy}). */
const accounted = new Set<Promise<unknown>>();
/** Holds in force ({@link holdFloodCopies}): no copy starts meanwhile. */
let holds = 0;

/**
 * Has `settled`, a copy followed by its relay's bookkeeping of the file's
 * end, waited for by {@link interruptFloodCopies} and {@link holdFloodCopies}.
 */
export function trackFloodCopy<T>(settled: Promise<T>): Promise<T> {
  const done = settled.then(() => {}, () => {});
  accounted.add(done);
  done.then(() => accounted.delete(done));
  return settled;
}

/** Whether copies may start now (no {@link holdFloodCopies} in force). */
export function floodCopiesAllowed(): boolean {
  return holds === 0;
}

/**
 * Brings every copy under way back to its relay before its next read: the
 * conditions of a native copy (no follower, a file of its own) may no
 * longer hold. Null when none runs; else resolves once each is back and
 * its bytes are accounted for in its log file.
 */
export function interruptFloodCopies(): Promise<void> | null {
  if (accounted.size === 0 && running.size === 0) return null;
  for (const copier of running) copier.interrupt();
  return Promise.all(accounted).then(() => {});
}

/**
 * {@link interruptFloodCopies}, then no copy starts until the returned
 * function is called: the hub truncates, reopens or moves a log file with
 * nothing writing to it behind the relays' backs.
 */
export async function holdFloodCopies(): Promise<() => void> {
  holds++;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    holds--;
  };
  try {
    await interruptFloodCopies();
  } catch (error) {
    release();
    throw error;
  }
  return release;
}

type CopyFlood = Deno.DynamicLibrary<typeof COPY_SYMBOLS>["symbols"]["tm_copy_flood"];

let loaded: CopyFlood | null | undefined;

/** The native loop, opened on first use; null where it cannot run (no FFI, another architecture). */
export function nativeCopy(): CopyFlood | null {
  if (loaded !== undefined) return loaded;
  const library = openSharedObject("taskmaster-copy", SHARED_OBJECT_X86_64, COPY_SYMBOLS);
  return loaded = library?.symbols.tm_copy_flood ?? null;
}
