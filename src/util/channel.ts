/**
 * Turns a push-style subscription into an async iterable that ends when an
 * AbortSignal fires, with a bounded queue so a slow reader cannot grow the
 * daemon's memory without limit (the oldest items are dropped first).
 *
 * @module
 */

/**
 * Iterates what `subscribe` pushes until `signal` aborts. The subscription
 * is made at once, before anything is read, so whoever receives the
 * iterable knows nothing pushed from then on is missed. At most `limit`
 * items wait: a reader that falls behind loses the oldest. (Output bytes,
 * which come fast and big, are followed through output/follow_ring.ts
 * instead.) The subscription ends when the reader stops, or when the signal
 * aborts (also for an iterable never read).
 */
export function fromSubscription<T>(
  subscribe: (push: (item: T) => void) => () => void,
  signal: AbortSignal,
  limit = 4096,
): AsyncIterable<T> {
  const queue: T[] = [];
  let wake: (() => void) | null = null;
  let reading = false;
  let closed = false;
  const unsubscribe = subscribe((item) => {
    queue.push(item);
    if (queue.length > limit) queue.shift();
    wake?.();
  });
  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    signal.removeEventListener("abort", onAbort);
    queue.length = 0;
  };
  const onAbort = () => {
    // A reader wakes up and closes on its way out; with none, close here.
    if (reading) wake?.();
    else close();
  };
  signal.addEventListener("abort", onAbort);
  if (signal.aborted) close();

  async function* read(): AsyncGenerator<T> {
    reading = true;
    try {
      while (!signal.aborted) {
        if (queue.length === 0) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
          continue;
        }
        yield queue.shift()!;
      }
    } finally {
      close();
    }
  }
  return read();
}
