/**
 * The wait at the end of a stop whose leader died while its process group
 * (or cgroup) lives on: the stop is over only once they are empty, or once
 * stoptime's SIGKILL ends them. There is no event for "the group became
 * empty", so it is polled, on the injected clock.
 *
 * @module
 */

import type { Clock } from "../util/clock.ts";

/** How often a group whose leader died during a stop is checked for emptiness. */
export const GROUP_POLL_MS = 100;

/** What the poll asks and tells. */
export interface GroupWatchHooks {
  /** Whether anything of the group (or cgroup) is still alive. */
  readonly alive: () => Promise<boolean>;
  /** Whether the stop being watched is still the current one. */
  readonly wanted: () => boolean;
  /** Called once when the watch ends by itself: `gone` when the group emptied. */
  readonly ended: (gone: boolean) => void;
}

/**
 * Polls every {@link GROUP_POLL_MS}; a slow probe is not overlapped by the
 * next tick. Returns the cancel function (after which `ended` is not called).
 */
export function watchGroup(clock: Clock, hooks: GroupWatchHooks): () => void {
  let next: (() => void) | null = null;
  let checking = false;
  const cancel = () => {
    next?.();
    next = null;
  };
  const tick = async () => {
    next = clock.schedule(clock.now() + GROUP_POLL_MS, tick);
    if (!hooks.wanted()) {
      cancel();
      return hooks.ended(false);
    }
    if (checking) return;
    checking = true;
    const alive = await hooks.alive();
    checking = false;
    // Cancelled meanwhile: the stop is over some other way.
    if (!alive && next !== null) {
      cancel();
      hooks.ended(true);
    }
  };
  next = clock.schedule(clock.now() + GROUP_POLL_MS, tick);
  return cancel;
}
