/**
 * Prefixing lines with a timestamp (`timestamps: true`), allocation-light:
 * one scratch buffer per stream, reused and grown on demand. The copying is
 * native code's where it runs (native_stamp.ts), five times faster; the
 * JavaScript below does the same elsewhere.
 *
 * @module
 */

import { type NativeStamp, nativeStamp } from "./native_stamp.ts";

const NEWLINE = 10;
/** What native code returns for a block too large to say its size in 31 bits. */
const TOO_LARGE = -(2 ** 31);

/**
 * The prefix written before each line: `2026-11-26T07:55:39.123Z ` (ISO 8601,
 * UTC, milliseconds, one space), as ASCII bytes.
 */
export function timestampPrefix(epochMs: number): Uint8Array {
  const text = new Date(epochMs).toISOString();
  const bytes = new Uint8Array(text.length + 1);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  bytes[text.length] = 0x20;
  return bytes;
}

/**
 * Inserts a timestamp prefix at every line start of a stream's blocks. One
 * instance per stream: it remembers whether the next block starts a line.
 *
 * Measured shape: the block is copied once to the tail of a scratch buffer
 * and the lines are then moved forward into place with `copyWithin` (no
 * allocation per line); about twice as fast as `set(subarray())` per line.
 */
export class LineStamper {
  readonly #native: NativeStamp | null;
  #scratch = new Uint8Array(0);
  /** Offsets just after each inner newline of the current block (JavaScript only). */
  #starts: Int32Array | null = null;
  /** The next byte starts a line (true at the start of a stream). */
  atLineStart = true;

  /** `native: false` stamps in JavaScript even where native code runs (tests compare both). */
  constructor(options: { readonly native?: boolean } = {}) {
    this.#native = options.native === false ? null : nativeStamp();
  }

  /**
   * Returns `block` with `prefix` inserted at every line start. Every line of
   * one block gets the same prefix: they were all read at the same instant.
   * The result is a view of an internal buffer, valid until the next call.
   */
  stamp(block: Uint8Array, prefix: Uint8Array): Uint8Array {
    const length = block.length;
    if (length === 0) return block;
    const native = this.#native;
    if (native !== null) {
      // Never an empty buffer (a null pointer to C), and one call for a first block of 100-byte lines.
      if (this.#scratch.length === 0) {
        this.#scratch = new Uint8Array(Math.max(4096, length + (length >> 2) + prefix.length));
      }
      let written = native(block, this.#scratch, prefix, this.atLineStart);
      if (written < 0 && written !== TOO_LARGE) {
        this.#scratch = new Uint8Array(Math.max(-written, this.#scratch.length * 2, 4096));
        written = native(block, this.#scratch, prefix, this.atLineStart);
      }
      if (written >= 0) {
        this.atLineStart = block[length - 1] === NEWLINE;
        return this.#scratch.subarray(0, written);
      }
    }
    // Pass 1: where lines start inside the block (after a newline that is not the last byte).
    let starts = this.#starts ??= new Int32Array(1024);
    let count = 0;
    let at = block.indexOf(NEWLINE);
    while (at !== -1 && at < length - 1) {
      if (count === starts.length) {
        const grown = new Int32Array(count * 2);
        grown.set(starts);
        this.#starts = starts = grown;
      }
      starts[count++] = at + 1;
      at = block.indexOf(NEWLINE, at + 1);
    }
    const size = length + (count + (this.atLineStart ? 1 : 0)) * prefix.length;
    if (this.#scratch.length < size) {
      this.#scratch = new Uint8Array(Math.max(size, this.#scratch.length * 2, 4096));
    }
    // Pass 2: the output never overtakes the input (the offset is exactly the
    // prefixes still to insert), so moving lines forward in place is safe.
    const out = this.#scratch;
    const offset = size - length;
    out.set(block, offset);
    let w = 0;
    let r = 0;
    if (this.atLineStart) {
      out.set(prefix, 0);
      w = prefix.length;
    }
    for (let i = 0; i <= count; i++) {
      const end = i < count ? starts[i] ?? length : length;
      out.copyWithin(w, offset + r, offset + end);
      w += end - r;
      r = end;
      if (i < count) {
        out.set(prefix, w);
        w += prefix.length;
      }
    }
    this.atLineStart = block[length - 1] === NEWLINE;
    return out.subarray(0, w);
  }
}
