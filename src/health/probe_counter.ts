/**
 * The threshold arithmetic of a probe, pure: consecutive successes and
 * failures, and when they cross `success_threshold` / `failure_threshold`.
 *
 * @module
 */

/** Counters of one probe of one instance. */
export interface ProbeCounter {
  /** Consecutive successes. */
  readonly successes: number;
  /** Consecutive failures. */
  readonly failures: number;
  /** Whether the probe is passing (ready / live). */
  readonly passing: boolean;
}

/** A readiness probe starts not passing; liveness starts passing. */
export function initialCounter(passing: boolean): ProbeCounter {
  return { successes: 0, failures: 0, passing };
}

/** What one result changed. */
export interface CountResult {
  readonly next: ProbeCounter;
  /** The probe started passing on this result. */
  readonly becamePassing: boolean;
  /** `failure_threshold` failures in a row were reached on this result. */
  readonly thresholdReached: boolean;
}

/**
 * Counts one result. Passing needs `successThreshold` successes in a row;
 * `failureThreshold` failures in a row make it not passing and report the
 * threshold (once: the failure count restarts from zero).
 */
export function countResult(
  counter: ProbeCounter,
  ok: boolean,
  thresholds: { readonly successThreshold: number; readonly failureThreshold: number },
): CountResult {
  if (ok) {
    const successes = counter.successes + 1;
    const passing = counter.passing || successes >= thresholds.successThreshold;
    return {
      next: { successes, failures: 0, passing },
      becamePassing: passing && !counter.passing,
      thresholdReached: false,
    };
  }
  const failures = counter.failures + 1;
  if (failures >= thresholds.failureThreshold) {
    return {
      next: { successes: 0, failures: 0, passing: false },
      becamePassing: false,
      thresholdReached: true,
    };
  }
  return {
    next: { successes: 0, failures, passing: counter.passing },
    becamePassing: false,
    thresholdReached: false,
  };
}
