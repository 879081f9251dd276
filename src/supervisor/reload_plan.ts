/**
 * What a reload does to each program, decided from the two configurations
 * and the states of the instances now running. Pure: the supervisor applies
 * the plan (stops, starts, resizes); the rules live here, where a table test
 * pins each of them.
 *
 * The rules (supervisord's `update`, plus numprocs applied in place):
 * - removed: every instance stops and the program is forgotten;
 * - added: every instance starts when `autostart`;
 * - changed (a spawn option differs): every instance stops; the ones that
 *   were active (STARTING, RUNNING, BACKOFF, WAITING, BLOCKED, or FATAL
 *   under `autostart`) start again with the new options, new instances
 *   follow `autostart`, and an instance stopped by hand stays stopped;
 * - updated (monitoring options and/or numprocs): nothing running is
 *   touched; instances past the new numprocs stop, new ones start when
 *   `autostart`;
 * - unchanged: nothing.
 *
 * @module
 */

import type { ReloadReport } from "../api/protocol.ts";
import { diffConfigs } from "../config/diff.ts";
import type { ProgramConfig, TaskmasterConfig } from "../config/types.ts";
import { type ProcessState, RUNNING_STATES } from "../process/state.ts";

/** One program's part of a reload. */
export type ProgramReload =
  | { readonly kind: "removed"; readonly name: string }
  | {
    readonly kind: "added" | "changed" | "updated" | "unchanged";
    readonly name: string;
    readonly config: ProgramConfig;
    /** Indexes of the instances to start once the program is in its new shape. */
    readonly start: readonly number[];
  };

/**
 * The plan for reloading from `current` to `next`; `states(program)` gives
 * the state of each of a program's instances now, by index.
 */
export function planReload(
  current: TaskmasterConfig,
  next: TaskmasterConfig,
  states: (program: string) => readonly ProcessState[],
): ProgramReload[] {
  return diffConfigs(current, next).map((change): ProgramReload => {
    if (change.kind === "removed") return { kind: "removed", name: change.prev.name };
    const config = change.next;
    const all = indexes(0, config.numprocs);
    const now = states(config.name);
    switch (change.kind) {
      case "added":
        return { kind: "added", name: config.name, config, start: config.autostart ? all : [] };
      case "changed":
        return {
          kind: "changed",
          name: config.name,
          config,
          start: all.filter((i) =>
            i < now.length ? wasActive(now[i]!, config.autostart) : config.autostart
          ),
        };
      case "updated":
        return {
          kind: "updated",
          name: config.name,
          config,
          start: config.autostart ? indexes(now.length, config.numprocs) : [],
        };
      case "unchanged":
        return { kind: "unchanged", name: config.name, config, start: [] };
    }
  });
}

/** The names per kind, as `reload` answers. */
export function reloadReport(plan: readonly ProgramReload[]): ReloadReport {
  const names = (kind: ProgramReload["kind"]) =>
    plan.filter((p) => p.kind === kind).map((p) => p.name);
  return {
    added: names("added"),
    changed: names("changed"),
    updated: names("updated"),
    removed: names("removed"),
    unchanged: names("unchanged"),
  };
}

// Active: it runs or is meant to run. A FATAL instance of an autostart
// program gets a new chance with the new options; one stopped by hand
// (STOPPED, EXITED, or FATAL without autostart) is left as it is.
function wasActive(state: ProcessState, autostart: boolean): boolean {
  return RUNNING_STATES.has(state) || (state === "FATAL" && autostart);
}

function indexes(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
