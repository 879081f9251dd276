/**
 * Turns a push-style subscription into an async iterable that ends when an
 * AbortSignal fires, with a bounded queue so a slow reader cannot grow the
 * daemon's memory without limit (the oldest items are dropped first).
 *
 * @module
 */

/** A bound on queued bytes, and how a reader is told what it missed. */
export interface ByteBound<T> {
  /** Bytes that may wait for one reader; older items are dropped beyond. */
  readonly maxBytes: number;
  readonly size: (item: T) => number;
  /** The item yielded in place of `bytes` dropped ones. */
  readonly missed: (bytes: number) => T;
}

/**
 * Iterates what `subscribe` pushes until `signal` aborts. The subscription
 * is made at once, before anything is read, so whoever receives the
 * iterable knows nothing pushed from then on is missed. With `opened`, that
 * item comes first. At most `limit` items wait, and with `bytes`, at most
 * `bytes.maxBytes` of them (at least the newest item is always kept): a
 * reader that falls behind loses the oldest, and with `bytes` is told how
 * many bytes it lost. The subscription ends when the reader stops, or when
 * the signal aborts (also for an iterable never read).
 */
export function fromSubscription<T>(
  subscribe: (push: (item: T) => void) => () => void,
  signal: AbortSignal,
  limit = 4096,
  opened?: T,
  bytes?: ByteBound<T>,
): AsyncIterable<T> {
  const queue: T[] = [];
  let queued = 0;
  let dropped = 0;
  let wake: (() => void) | null = null;
  let reading = false;
  let closed = false;
  const unsubscribe = subscribe((item) => {
    queue.push(item);
    if (bytes !== undefined) {
      queued += bytes.size(item);
      while (queue.length > 1 && queued > bytes.maxBytes) {
        const size = bytes.size(queue.shift()!);
        queued -= size;
        dropped += size;
      }
    }
    if (queue.length > limit) {
      const oldest = queue.shift()!;
      if (bytes !== undefined) {
        queued -= bytes.size(oldest);
        dropped += bytes.size(oldest);
      }
    }
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
      if (opened !== undefined && !signal.aborted) yield opened;
      while (!signal.aborted) {
        if (queue.length === 0) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
          continue;
        }
        if (bytes !== undefined && dropped > 0) {
          const missed = dropped;
          dropped = 0;
          yield bytes.missed(missed);
          continue;
        }
        const item = queue.shift()!;
        if (bytes !== undefined) queued -= bytes.size(item);
        yield item;
      }
    } finally {
      close();
    }
  }
  return read();
}
