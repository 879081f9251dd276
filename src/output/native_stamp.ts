/**
 * Line timestamps in native code (native/line_stamp.c): one memchr and two
 * memcpy per line, where JavaScript's three typed-array calls per line held
 * a stamped capture to a third of a plain one (issue 17). Opened for the
 * first stream with timestamps; null where it cannot run (another architecture, no FFI),
 * and line_stamp.ts then stamps in JavaScript.
 *
 * @module
 */

import { openSharedObject } from "../process/shared_object.ts";
import { SHARED_OBJECT_X86_64 } from "./native_stamp_code.ts";

/** What native/line_stamp.c exports. */
export const STAMP_SYMBOLS = {
  tm_stamp: {
    parameters: ["buffer", "u32", "buffer", "u32", "buffer", "u32", "i32"],
    result: "i32",
  },
} as const;

/**
 * Writes `block` into `out` with `prefix` before every line start (the
 * first byte when `atLineStart`); returns the bytes written, or minus the
 * bytes needed when `out` is too small (its contents are then unspecified).
 */
export type NativeStamp = (
  block: Uint8Array,
  out: Uint8Array,
  prefix: Uint8Array,
  atLineStart: boolean,
) => number;

let loaded: NativeStamp | null | undefined;

/** The native stamper, opened on first use; null where it cannot run. */
export function nativeStamp(): NativeStamp | null {
  if (loaded !== undefined) return loaded;
  const library = openSharedObject("taskmaster-stamp", SHARED_OBJECT_X86_64, STAMP_SYMBOLS);
  if (library === null) return loaded = null;
  const stamp = library.symbols.tm_stamp;
  loaded = (block, out, prefix, atLineStart) =>
    stamp(
      block,
      block.length,
      out,
      out.length,
      prefix,
      prefix.length,
      atLineStart ? 1 : 0,
    );
  return loaded;
}
