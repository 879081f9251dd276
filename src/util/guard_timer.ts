/**
 * Timers for guards: deadlines that are nearly always cancelled soon after
 * they are armed (a request body that comes with its headers, a connection
 * that closes after its one request, a warm-up that is answered at once).
 *
 * Deno keeps its timers as node does, one list per delay: cancelling a
 * timer empties its list but leaves the list's native deadline armed, and
 * the event loop wakes at it to find nothing to run. So a 30 s guard
 * cancelled a millisecond after it was armed still woke an idle daemon 30 s
 * later, and the daemon's start-up left three such wake-ups in its first
 * 30 s of quiet, 0.3–0.8 ms of the main thread each (measured 2026-12-04).
 * Guards that are not cancelled (a webhook's AbortSignal.timeout) or that
 * run on the injected Clock (a stop's stoptime) still wake it at their end.
 *
 * A guard is armed in two steps: a short first one, and the rest of its
 * delay only if it is still wanted then. One cancelled within the first
 * step wakes the loop once, close to the work that armed it, and never
 * later. The second step has a fixed delay (the whole delay minus the
 * first step), so that the guards of one delay share one list (a fixed
 * delay queue's re-arm, for what is left of its head's delay, has a list
 * of its own, as it had before).
 *
 * @module
 */

import { MAX_TIMER_MS } from "./clock.ts";

/** The first step: guards cancelled within it leave no wake-up after it. */
export const FIRST_STEP_MS = 100;

/** setTimeout and clearTimeout, injectable so a test can see what is armed. */
export interface TimerFunctions {
  /** Returns the timer, for clear and unref. */
  set(fn: () => void, ms: number): unknown;
  clear(id: unknown): void;
  /** An armed timer does not keep the process alive by itself. */
  unref(id: unknown): void;
}

type TimerId = ReturnType<typeof setTimeout>;

const REAL_TIMERS: TimerFunctions = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (id) => clearTimeout(id as TimerId),
  unref: (id) => Deno.unrefTimer(id as TimerId),
};

/**
 * Runs `fn` `ms` from now unless the returned cancel is called first; never
 * sooner, and later by as much as the first step ran late (an event loop
 * busy at 100 ms delays the whole guard by as much). A delay past the
 * timer range (~24.8 days) is held at it, where setTimeout would fire it at
 * once. `unref`: the guard does not keep the process alive.
 */
export function setGuardTimer(
  fn: () => void,
  ms: number,
  options: { unref?: boolean } = {},
  timers: TimerFunctions = REAL_TIMERS,
): () => void {
  const arm = (run: () => void, delay: number): unknown => {
    const id = timers.set(run, delay);
    if (options.unref === true) timers.unref(id);
    return id;
  };
  if (!(ms > FIRST_STEP_MS)) {
    const id = arm(fn, ms);
    return () => timers.clear(id);
  }
  const rest = Math.min(ms, MAX_TIMER_MS) - FIRST_STEP_MS;
  let id = arm(() => {
    id = arm(fn, rest);
  }, FIRST_STEP_MS);
  return () => timers.clear(id);
}
