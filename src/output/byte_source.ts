/**
 * A uniform "read into this view" over a ReadableStream: a BYOB reader when
 * the stream is a byte stream (child pipes from `Deno.Command` are), which
 * reads straight into our buffer with no allocation; otherwise a default
 * reader whose chunks are copied in.
 *
 * @module
 */

import type { FloodCopy } from "./native_copy.ts";

/**
 * Told that a source is readable. An object, the reader itself: a closure
 * and its scope per stream cost ~100 B each while it waits (issue 17).
 */
export interface ReadableListener {
  readable(): void;
}

/** What {@link ByteSource.read} returns. */
export interface ReadResult {
  readonly chunk: Uint8Array | null;
  readonly done: boolean;
}

/** Reads bytes into caller-provided memory. */
export interface ByteSource {
  /**
   * Reads into `view`. A BYOB read transfers the buffer: the result's `chunk`
   * is a view of the transferred buffer (use its `.buffer` from now on); at
   * EOF it is empty (`done`). After a cancel the buffer is gone: `chunk` is
   * null. Rejects if the stream errors.
   */
  read(view: Uint8Array<ArrayBuffer>): Promise<ReadResult>;
  /**
   * Where the source can say so (a pipe read directly): tells `listener`
   * once a read would not wait (bytes, EOF, or a cancel), so a quiet
   * stream's reader need hold neither a buffer nor a suspended read while
   * it waits. One listener at a time.
   */
  onReadable?(listener: ReadableListener): void;
  /**
   * With {@link onReadable}: a read that never waits, null when nothing is
   * there yet (a woken reader found the bytes already taken), so the reader
   * can wait for the next callback holding nothing.
   */
  readNow?(view: Uint8Array<ArrayBuffer>): ReadResult | null;
  /**
   * Where the source can say so: has its reader take what the pipe holds
   * now, and calls `drained` once it found the pipe empty (or it ended),
   * never during the call. A child has exited: its last lines are in the
   * file before its exit is reported. A callback, not a promise: every
   * exit drains two pipes, and a stop of hundreds made their promises.
   */
  drain?(drained: () => void): void;
  /**
   * With {@link readNow}: resolves after one turn of the event loop in which
   * pending I/O (requests, other pipes) is handled, cheaply. A reader whose
   * source never runs dry calls it now and then.
   */
  nextTurn?(): Promise<void>;
  /**
   * Where the source is a pipe of the daemon's own: gives it room for a
   * flood, so the writer does not wait on the reader (pipes.ts says why
   * only then).
   */
  widen?(): void;
  /** After {@link widen}: gives the pipe its default size back, the flood over. */
  narrow?(): void;
  /**
   * Where the source is a pipe of the daemon's own and native code runs:
   * copies a flood straight into the regular file at `path`, if its inode
   * is still `ino`, off the main thread, through `buffer`, writing at most
   * `maxBytes` (native_copy.ts); null when it cannot. Nothing else may read the
   * source until it settles; a cancel meanwhile brings it back early and a
   * release closes the pipe once it is back. Never rejects.
   */
  copyFlood?(
    path: string,
    ino: number,
    buffer: Uint8Array<ArrayBuffer>,
    maxBytes: number,
  ): Promise<FloodCopy> | null;
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
      return { chunk: value ?? null, done: done || value === undefined };
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
        if (done) return { chunk: view.subarray(0, 0), done: true };
        pending = value;
      }
      const n = Math.min(view.length, pending.length);
      view.set(pending.subarray(0, n));
      pending = pending.subarray(n);
      return { chunk: view.subarray(0, n), done: false };
    },
    cancel: () => reader.cancel().catch(() => {}),
    release: () => reader.releaseLock(),
  };
}

/** Bytes asked for by each read of {@link byteSourceStream}. */
const STREAM_CHUNK = 16 * 1024;

/**
 * A readable byte stream over `source`, for a consumer that wants a stream
 * (an event listener's protocol reader); releases the source at its end.
 */
export function byteSourceStream(source: ByteSource): ReadableStream<Uint8Array> {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    source.release();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { chunk, done } = await source.read(new Uint8Array(STREAM_CHUNK));
        if (chunk !== null && chunk.length > 0) controller.enqueue(chunk);
        if (done || chunk === null) {
          release();
          controller.close();
        }
      } catch (error) {
        release();
        controller.error(error);
      }
    },
    async cancel() {
      await source.cancel();
      release();
    },
  });
}
