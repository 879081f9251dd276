/**
 * Time as an injectable input, so the state machine's users can be tested
 * without waiting for real seconds.
 *
 * @module
 */

/** Reads the time and runs callbacks later. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Runs `fn` at epoch ms `at` (at once if already past); returns a cancel function. */
  schedule(at: number, fn: () => void): () => void;
}

/** Resolves `ms` later on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.schedule(clock.now() + ms, resolve));
}

/**
 * The longest delay setTimeout honours: a longer one (or NaN) fires after
 * about 1 ms, with a TimeoutOverflowWarning written to stderr.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The real clock. Config validation bounds every duration, but a deadline
 * past the timer range is still honoured in hops rather than fired at once.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(at, fn) {
    let id: ReturnType<typeof setTimeout>;
    const arm = () => {
      const delay = at - Date.now();
      if (!(delay > MAX_TIMER_MS)) {
        id = setTimeout(fn, Number.isFinite(delay) ? Math.max(0, delay) : 0);
      } else {
        id = setTimeout(arm, MAX_TIMER_MS);
      }
    };
    arm();
    return () => clearTimeout(id);
  },
};
