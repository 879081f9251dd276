/**
 * The launch: every autostart instance started in start order, without
 * waiting for any to come up. A spawn is synchronous and costs a
 * millisecond or more, so 1,000 of them in one go kept the socket silent
 * for 15 s: the burst runs through its own {@link TurnPacer}, a slice of
 * about 10 ms per turn of the event loop, where requests are answered and
 * crashed programs are restarted. Its own, not the daemon's shared one:
 * there restarts would queue behind the whole launch (first come, first
 * served), and a crashed program must not wait for a launch of thousands.
 *
 * @module
 */

import type { ProcessRunner } from "../process/runner.ts";
import { INITIAL_SNAPSHOT } from "../process/snapshot.ts";
import { TurnPacer } from "../util/turn_pacer.ts";

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
export function launchInSlices(
  pending: readonly ProcessRunner[],
  hooks: LaunchHooks,
): Promise<void> {
  const pacer = new TurnPacer();
  return new Promise((resolve) => {
    for (const runner of pending) {
      pacer.run(() => {
        // Meanwhile a shutdown may have begun, a reload removed it, or a user started or stopped it.
        if (hooks.stopped() || !hooks.current(runner) || runner.snapshot !== INITIAL_SNAPSHOT) {
          return;
        }
        hooks.start(runner);
      });
    }
    pacer.run(resolve);
  });
}
