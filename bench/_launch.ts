/**
 * Starts either supervisor (or the floor) on the same programs.
 *
 * @module
 */

import type { Daemon, Kind, ProgramSpec } from "./_common.ts";
import { launchFloor } from "./_floor.ts";
import { launchSupervisord } from "./_supervisord.ts";
import { launchTaskmaster } from "./_taskmaster.ts";

let taskmasterSettings: Readonly<Record<string, string>> = {};

/** `taskmaster:` settings for every later launch of taskmaster (`--taskmaster-setting`). */
export function useTaskmasterSettings(settings: Readonly<Record<string, string>>): void {
  taskmasterSettings = settings;
}

/** Launches `kind` on `programs` (not waiting for it to be ready). */
export function launch(kind: Kind, programs: readonly ProgramSpec[]): Promise<Daemon> {
  if (kind === "floor") return launchFloor(programs);
  return kind === "taskmaster"
    ? launchTaskmaster(programs, { settings: taskmasterSettings })
    : launchSupervisord(programs);
}

/**
 * The order of the supervisors in repetition `rep`: alternating which goes
 * first; with `floor`, the C floor runs between them.
 */
export function order(rep: number, floor = false): Kind[] {
  const pair: Kind[] = rep % 2 === 0
    ? ["taskmaster", "supervisord"]
    : ["supervisord", "taskmaster"];
  return floor ? [pair[0]!, "floor", pair[1]!] : pair;
}
