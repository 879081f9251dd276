/**
 * Turns a push-style subscription into an async iterable that ends when an
 * AbortSignal fires, with a bounded queue so a slow reader cannot grow the
 * daemon's memory without limit (the oldest items are dropped first).
 *
 * @module
 */

/**
 * Iterates what `subscribe` pushes until `signal` aborts. With `opened`, that
 * item comes first, once the subscription is in place.
 */
export async function* fromSubscription<T>(
  subscribe: (push: (item: T) => void) => () => void,
  signal: AbortSignal,
  limit = 4096,
  opened?: T,
): AsyncGenerator<T> {
  const queue: T[] = [];
  let wake: (() => void) | null = null;
  const unsubscribe = subscribe((item) => {
    queue.push(item);
    if (queue.length > limit) queue.shift();
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort);
  try {
    if (opened !== undefined && !signal.aborted) yield opened;
    while (!signal.aborted) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        continue;
      }
      yield queue.shift()!;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener("abort", onAbort);
  }
}
