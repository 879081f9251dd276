/**
 * Starts either supervisor on the same programs.
 *
 * @module
 */

import type { Daemon, Kind, ProgramSpec } from "./_common.ts";
import { launchSupervisord } from "./_supervisord.ts";
import { launchTaskmaster } from "./_taskmaster.ts";

/** Launches `kind` on `programs` (not waiting for it to be ready). */
export function launch(kind: Kind, programs: readonly ProgramSpec[]): Promise<Daemon> {
  return kind === "taskmaster" ? launchTaskmaster(programs) : launchSupervisord(programs);
}

/** The order of the two supervisors in repetition `rep`: alternating which goes first. */
export function order(rep: number): Kind[] {
  return rep % 2 === 0 ? ["taskmaster", "supervisord"] : ["supervisord", "taskmaster"];
}
