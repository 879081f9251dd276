/**
 * The launch: every autostart instance started in start order, without
 * waiting for any to come up. A spawn is synchronous and costs a
 * millisecond or more, so 1,000 of them in one go kept the socket silent
 * for 15 s: the burst runs in slices of {@link LAUNCH_SLICE_MS}, each
 * followed by a turn of the event loop, where requests are answered and
 * crashed programs are restarted.
 *
 * @module
 */

import type { ProcessRunner } from "../process/runner.ts";
import { INITIAL_SNAPSHOT } from "../process/snapshot.ts";

/** How long one slice of the launch may spawn before it yields to the event loop. */
export const LAUNCH_SLICE_MS = 10;

/** What the launch asks the supervisor between slices. */
export interface LaunchHooks {
  /** Shutting down: the launch ends. */
  readonly stopped: () => boolean;
  /** Whether the instance is still configured (a reload may have removed it). */
  readonly current: (runner: ProcessRunner) => boolean;
  /** A start through the dependency gate. */
  readonly start: (runner: ProcessRunner) => void;
}

/** Starts `pending` in order, in slices; resolves once every start is dispatched. */
export async function launchInSlices(
  pending: readonly ProcessRunner[],
  hooks: LaunchHooks,
): Promise<void> {
  let sliceStart = performance.now();
  for (const runner of pending) {
    if (performance.now() - sliceStart >= LAUNCH_SLICE_MS) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      sliceStart = performance.now();
    }
    if (hooks.stopped()) return;
    // Meanwhile a reload may have removed it, or a user started or stopped it.
    if (!hooks.current(runner) || runner.snapshot !== INITIAL_SNAPSHOT) continue;
    hooks.start(runner);
  }
}
