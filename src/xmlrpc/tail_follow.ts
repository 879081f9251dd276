/**
 * supervisord's `tail_f_producer` as a byte stream: the last `head` bytes of
 * a file, then whatever is appended, forever. A file that shrinks yields
 * `==> File truncated <==` and is read again from its start; a file replaced
 * under the same path (rotation) is reopened and read from its start.
 *
 * @module
 */

const POLL_MS = 100;
const TRUNCATED = new TextEncoder().encode("==> File truncated <==\n");

/** Follows `path` until the consumer cancels or `signal` aborts (then the stream ends). */
export function followFile(
  path: string,
  head: number,
  signal?: AbortSignal,
): ReadableStream<Uint8Array> {
  let file: Deno.FsFile | null = null;
  let ino: number | null = null;
  let sz = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let done = false;

  const open = () => {
    file?.close();
    file = Deno.openSync(path, { read: true });
    ino = file.statSync().ino;
    sz = 0;
  };
  const stop = () => {
    done = true;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    try {
      file?.close();
    } catch {
      // Already closed.
    }
    file = null;
  };

  return new ReadableStream<Uint8Array>({
    start(controller) {
      open();
      const size = file!.statSync().size;
      if (size >= head) sz = size - head;
      const onAbort = () => {
        stop();
        try {
          controller.close();
        } catch {
          // Already closed or cancelled.
        }
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      const tick = () => {
        if (done) return;
        try {
          const now = Deno.statSync(path).ino;
          if (now !== ino) open(); // rotated: follow the new file
        } catch {
          // Unlinked: keep reading what is left of the open one.
        }
        try {
          const newsz = file!.statSync().size;
          if (newsz < sz) {
            sz = 0;
            controller.enqueue(TRUNCATED);
          } else if (newsz > sz) {
            const chunk = new Uint8Array(newsz - sz);
            file!.seekSync(sz, Deno.SeekMode.Start);
            let filled = 0;
            while (filled < chunk.length) {
              const n = file!.readSync(chunk.subarray(filled));
              if (n === null) break;
              filled += n;
            }
            sz += filled;
            if (filled > 0) controller.enqueue(chunk.subarray(0, filled));
          }
        } catch {
          // The file went away mid-read: try again next tick.
        }
        timer = setTimeout(tick, POLL_MS);
      };
      tick();
    },
    cancel() {
      stop();
    },
  });
}
