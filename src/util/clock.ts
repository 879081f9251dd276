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

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(at, fn) {
    const id = setTimeout(fn, Math.max(0, at - Date.now()));
    return () => clearTimeout(id);
  },
};
