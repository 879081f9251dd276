/**
 * Following a growing file (`log -f` on the event log): polls its size at a
 * modest interval, only while someone follows, and survives rotation and
 * truncation by reopening the path.
 *
 * @module
 */

/** Options of {@link followFile}. */
export interface FollowOptions {
  /** Stops following; the iterator then ends. */
  readonly signal: AbortSignal;
  /** Byte offset to start from; negative counts from the end. @default 0 (the current end) */
  readonly from?: number;
  /** Poll interval. @default 250 */
  readonly intervalMs?: number;
}

const CHUNK = 64 * 1024;

/**
 * Yields the bytes appended to `path` from now on (or from `from`), until
 * `signal` aborts. A missing file is waited for; if the file is replaced
 * (rotated, moved) the rest of the old one is read and the new one followed
 * from its start; if it shrinks (truncated, `clear`) it is followed from 0.
 */
export async function* followFile(
  path: string,
  options: FollowOptions,
): AsyncGenerator<Uint8Array, void, void> {
  const { signal } = options;
  const intervalMs = options.intervalMs ?? 250;
  let file: Deno.FsFile | null = null;
  let inode: number | null = null;
  let offset = -1;
  try {
    while (!signal.aborted) {
      if (file === null) {
        try {
          file = await Deno.open(path, { read: true });
          const info = await file.stat();
          inode = info.ino;
          if (offset < 0) {
            const from = options.from ?? 0;
            offset = from > 0 ? Math.min(from, info.size) : Math.max(0, info.size + from);
          }
        } catch (error) {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
          if (offset < 0) offset = 0;
        }
      }
      if (file !== null) {
        const info = await file.stat();
        if (info.size < offset) offset = 0; // truncated in place
        if (info.size > offset) {
          await file.seek(offset, Deno.SeekMode.Start);
          const buffer = new Uint8Array(Math.min(CHUNK, info.size - offset));
          const n = await file.read(buffer);
          if (n !== null && n > 0) {
            offset += n;
            yield buffer.subarray(0, n);
            continue; // more may be waiting: read again before sleeping
          }
        }
        // Caught up: if the path now names another file, switch to it.
        const current = await Deno.stat(path).catch(() => null);
        if (current !== null && current.ino !== inode) {
          file.close();
          file = null;
          offset = 0;
          continue;
        }
      }
      await sleep(intervalMs, signal);
    }
  } finally {
    file?.close();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
