/**
 * The events supervisord derives from time and from the set of groups
 * rather than from a process: TICK_5/60/3600 when a period's timeslice
 * changes, and PROCESS_GROUP_ADDED/REMOVED when programs or pools come and
 * go. Pure: the time and the group names come in, events go out.
 *
 * @module
 */

import {
  groupEvent,
  type SupervisorEvent,
  TICK_PERIODS,
  tickEvent,
  timeslice,
} from "./payloads.ts";

/** Remembers the last timeslices and groups seen. */
export class PeriodicEvents {
  #ticks = new Map<number, number>();
  #groups = new Set<string>();

  /**
   * TICK_n for each period whose timeslice changed since the last call; the
   * first call only records the slices, as supervisord's tick() does.
   */
  ticks(nowSeconds: number): SupervisorEvent[] {
    const events: SupervisorEvent[] = [];
    for (const period of TICK_PERIODS) {
      const slice = timeslice(period, nowSeconds);
      const last = this.#ticks.get(period);
      this.#ticks.set(period, slice);
      if (last !== undefined && last !== slice) events.push(tickEvent(period, slice));
    }
    return events;
  }

  /** GROUP_ADDED for the new names, then GROUP_REMOVED for the gone ones. */
  groupChanges(now: ReadonlySet<string>): SupervisorEvent[] {
    const events: SupervisorEvent[] = [];
    for (const name of now) if (!this.#groups.has(name)) events.push(groupEvent("ADDED", name));
    for (const name of this.#groups) {
      if (!now.has(name)) events.push(groupEvent("REMOVED", name));
    }
    this.#groups = new Set(now);
    return events;
  }

  /** Takes `names` as the known groups without announcing them. */
  knowGroups(names: Iterable<string>): void {
    this.#groups = new Set(names);
  }
}
