/**
 * `--detach --wait`: the launch is over once every autostart instance is
 * RUNNING or has given up (FATAL, or EXITED/STOPPED before it got there).
 *
 * @module
 */

import type { ProcessInfo, StateChange } from "../api/protocol.ts";
import type { ProcessState } from "../process/state.ts";

/**
 * Still on its way: the launch is not over while an instance is in one of
 * these (WAITING: its dependencies are still coming up; BLOCKED counts as
 * given up, like FATAL).
 */
const SETTLING: ReadonlySet<ProcessState> = new Set(["STARTING", "BACKOFF", "STOPPING", "WAITING"]);

/** What the wait needs of the supervisor. */
export interface LaunchView {
  status(): ProcessInfo[];
  onChange(listener: (change: StateChange) => void): () => void;
  /** Whether the instance's program starts at launch. */
  autostart(info: ProcessInfo): boolean;
}

/**
 * Resolves once the launch is over, with the autostart instances that never
 * became RUNNING (`name (STATE)`); empty means every one came up. A shutdown
 * (`cutShort`) ends it at once: what is not up by then will not come up.
 */
export function waitForLaunch(view: LaunchView, cutShort?: Promise<unknown>): Promise<string[]> {
  return new Promise((resolve) => {
    // One that was RUNNING and has exited since (a one-shot job) did start.
    const reached = new Set<string>();
    const mine = () => view.status().filter((p) => view.autostart(p));
    const finish = (list: ProcessInfo[]): void => {
      stop();
      const failed = list.filter((p) => p.state !== "RUNNING" && !reached.has(p.name));
      resolve(failed.map((p) => `${p.name} (${p.state})`));
    };
    const check = (): void => {
      const list = mine();
      // STOPPED before its first spawn means the start is still queued.
      const settling = list.some((p) =>
        SETTLING.has(p.state) || (p.state === "STOPPED" && p.startedAt === null)
      );
      if (!settling) finish(list);
    };
    const stop = view.onChange((change) => {
      if (change.to === "RUNNING") reached.add(change.name);
      check();
    });
    check();
    cutShort?.then(() => finish(mine()));
  });
}
