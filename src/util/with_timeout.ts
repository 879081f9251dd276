/**
 * A promise given a deadline: alert deliveries and the daemon's start-up
 * warm-up request wait for an answer only so long.
 *
 * @module
 */

import { setGuardTimer } from "./guard_timer.ts";
import { formatSeconds } from "./time_format.ts";

/** Rejects after `ms` with "timed out after N s", unless `work` settles first. */
export function withTimeout<T>(work: Promise<T>, ms: number, onTimeout?: () => void): Promise<T> {
  let cancel = () => {};
  const timeout = new Promise<never>((_, reject) => {
    cancel = setGuardTimer(() => {
      onTimeout?.();
      reject(new Error(`timed out after ${formatSeconds(ms)}`));
    }, ms);
  });
  return Promise.race([work, timeout]).finally(cancel);
}
