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

/** How often the whole status is read again while the launch lasts. */
const RECOUNT_MS = 1000;

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
    /**
     * The autostart instances still on their way, kept from the changes: a
     * full status per change made a launch of thousands quadratic. Only
     * when none is left is the whole status read.
     */
    const settling = new Set<string>();
    /** Every instance the last full read saw, and whether it starts at launch. */
    const seen = new Map<string, boolean>();
    /** Instances that changed state since the wait began. */
    const touched = new Set<string>();
    const finish = (list: ProcessInfo[]): void => {
      stop();
      clearInterval(recount);
      const failed = list.filter((p) => p.state !== "RUNNING" && !reached.has(p.name));
      resolve(failed.map((p) => `${p.name} (${p.state})`));
    };
    /** Since when only instances stopped before they ever ran are left (null: not so). */
    let onlyStoppedSince: number | null = null;
    const check = (): void => {
      const list: ProcessInfo[] = [];
      settling.clear();
      seen.clear();
      let stoppedUnstarted = 0;
      for (const p of view.status()) {
        const autostart = view.autostart(p);
        seen.set(p.name, autostart);
        if (!autostart) continue;
        list.push(p);
        // STOPPED before its first spawn means the start is still queued, unless
        // it got there by a change (stopped while it waited for its dependencies).
        const unstarted = p.state === "STOPPED" && p.startedAt === null;
        if (SETTLING.has(p.state) || (unstarted && !touched.has(p.name))) settling.add(p.name);
        else if (unstarted) stoppedUnstarted++;
      }
      if (settling.size > 0) {
        onlyStoppedSince = null;
        return;
      }
      if (stoppedUnstarted === 0) return finish(list);
      // Given up only if it lasts: a reload stops a waiting program, then starts it again.
      onlyStoppedSince ??= Date.now();
      if (Date.now() - onlyStoppedSince >= RECOUNT_MS) finish(list);
    };
    const stop = view.onChange((change) => {
      if (change.to === "RUNNING") reached.add(change.name);
      touched.add(change.name);
      const autostart = seen.get(change.name);
      // Not one the last read saw (a reload renamed or added it): read everything again.
      if (autostart === undefined) return check();
      if (!autostart) return;
      if (SETTLING.has(change.to)) settling.add(change.name);
      else {
        settling.delete(change.name);
        if (settling.size === 0) check();
      }
    });
    // What no change tells (an instance a reload removed before it started) is
    // caught by reading everything again now and then.
    const recount = setInterval(check, RECOUNT_MS);
    check();
    cutShort?.then(() => finish(mine()));
  });
}
