/**
 * The newest bytes of one relayed stream, shared by all its followers
 * (`tail -f`, `attach`, the API's follow).
 *
 * Why a ring rather than a queue per follower: a program that writes as
 * fast as it can is read in chunks of up to 128 KiB, thousands a second.
 * Handing each follower its own copy of each chunk made the daemon allocate
 * that much memory again and again (40% of its time with 8 followers that
 * never read, and answers to other clients 100-300 ms late). Here each chunk
 * is copied once into memory allocated once, whatever the number of
 * followers, and a follower copies out only what it actually reads: a
 * follower that has stopped reading costs nothing.
 *
 * A follower that falls more than the ring's capacity behind loses the
 * oldest bytes and is told how many, as with supervisord's `tail -f`.
 *
 * @module
 */

/** A fixed window on a stream: the last `capacity` bytes, with a running byte count. */
export class FollowRing {
  readonly #bytes: Uint8Array;
  /** Bytes appended since the ring was made: a follower's position is such a count. */
  #written = 0;
  #wake: (() => void)[] = [];

  constructor(capacity: number) {
    this.#bytes = new Uint8Array(capacity);
  }

  /** Stream position after the newest byte. */
  get written(): number {
    return this.#written;
  }

  /** Appends `chunk` (copied: the caller may reuse its buffer) and wakes waiting followers. */
  append(chunk: Uint8Array): void {
    const capacity = this.#bytes.length;
    const kept = chunk.length > capacity ? chunk.subarray(chunk.length - capacity) : chunk;
    const at = (this.#written + chunk.length - kept.length) % capacity;
    const first = Math.min(kept.length, capacity - at);
    this.#bytes.set(kept.subarray(0, first), at);
    if (first < kept.length) this.#bytes.set(kept.subarray(first), 0);
    this.#written += chunk.length;
    this.wakeAll();
  }

  /**
   * What a follower at `from` has not read yet: the bytes it lost (older than
   * the window) and a copy of the rest, up to the newest byte.
   */
  readFrom(from: number): { missed: number; bytes: Uint8Array } {
    const capacity = this.#bytes.length;
    const oldest = Math.max(0, this.#written - capacity);
    const start = Math.max(from, oldest);
    const bytes = new Uint8Array(this.#written - start);
    const at = start % capacity;
    const first = Math.min(bytes.length, capacity - at);
    bytes.set(this.#bytes.subarray(at, at + first));
    if (first < bytes.length) bytes.set(this.#bytes.subarray(0, bytes.length - first), first);
    return { missed: start - from, bytes };
  }

  /** Resolves at the next append. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#wake.push(resolve));
  }

  /** Wakes every waiting follower (also without new bytes: one of them is leaving). */
  wakeAll(): void {
    if (this.#wake.length === 0) return; // the usual case, once per chunk read
    const wake = this.#wake;
    this.#wake = [];
    for (const resolve of wake) resolve();
  }
}

/** How a follow starts and how it reports lost bytes. */
export interface FollowOptions {
  /** Yielded first: the stream is live from here on. */
  readonly opened?: Uint8Array;
  /** The item yielded in place of `bytes` lost bytes. */
  readonly missed: (bytes: number) => Uint8Array;
}

/**
 * Everything appended to `ring` from now on, until `signal` aborts. The
 * position is taken at once, before anything is read, so whoever receives
 * the iterable knows nothing appended from then on is missed unless reported.
 * `release` runs once, when the follower stops (or at once if already aborted).
 */
export function followRing(
  ring: FollowRing,
  signal: AbortSignal,
  options: FollowOptions,
  release: () => void,
): AsyncIterable<Uint8Array> {
  let position = ring.written;
  let released = false;
  const done = () => {
    if (released) return;
    released = true;
    signal.removeEventListener("abort", onAbort);
    release();
  };
  let reading = false;
  // A reader wakes up and leaves on its way out; with none, release here.
  const onAbort = () => reading ? ring.wakeAll() : done();
  signal.addEventListener("abort", onAbort);
  if (signal.aborted) done();

  async function* read(): AsyncGenerator<Uint8Array> {
    reading = true;
    try {
      if (options.opened !== undefined && !signal.aborted) yield options.opened;
      while (!signal.aborted) {
        if (position === ring.written) {
          await ring.changed();
          continue;
        }
        const { missed, bytes } = ring.readFrom(position);
        position = ring.written;
        if (missed > 0) yield options.missed(missed);
        if (signal.aborted) break;
        yield bytes;
      }
    } finally {
      done();
    }
  }
  return read();
}
