/**
 * A uniform "read into this view" over a ReadableStream: a BYOB reader when
 * the stream is a byte stream (child pipes from `Deno.Command` are), which
 * reads straight into our buffer with no allocation; otherwise a default
 * reader whose chunks are copied in.
 *
 * @module
 */

/** Reads bytes into caller-provided memory. */
export interface ByteSource {
  /**
   * Reads at least one byte into `view` and returns the filled part (for a
   * BYOB read, a view of the transferred buffer: use its `.buffer` from now
   * on), or null at EOF. Rejects if the stream errors.
   */
  read(view: Uint8Array<ArrayBuffer>): Promise<Uint8Array | null>;
  /** Cancels the stream (a pending read then returns null). Never rejects. */
  cancel(): Promise<void>;
  /** Releases the reader's lock. */
  release(): void;
}

/** Wraps `stream` in a {@link ByteSource}. */
export function openByteSource(stream: ReadableStream<Uint8Array>): ByteSource {
  let byob: ReadableStreamBYOBReader | null = null;
  try {
    byob = stream.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream: fall back to copying chunks.
  }
  return byob !== null ? byobSource(byob) : copyingSource(stream.getReader());
}

function byobSource(reader: ReadableStreamBYOBReader): ByteSource {
  return {
    async read(view) {
      const { value, done } = await reader.read(view);
      if (done || value === undefined) return null;
      return value;
    },
    cancel: () => reader.cancel().catch(() => {}),
    release: () => reader.releaseLock(),
  };
}

function copyingSource(reader: ReadableStreamDefaultReader<Uint8Array>): ByteSource {
  let pending: Uint8Array | null = null;
  return {
    async read(view) {
      while (pending === null || pending.length === 0) {
        const { value, done } = await reader.read();
        if (done) return null;
        pending = value;
      }
      const n = Math.min(view.length, pending.length);
      view.set(pending.subarray(0, n));
      pending = pending.subarray(n);
      return view.subarray(0, n);
    },
    cancel: () => reader.cancel().catch(() => {}),
    release: () => reader.releaseLock(),
  };
}
