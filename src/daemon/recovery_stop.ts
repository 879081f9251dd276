/**
 * Stopping what recovery found of a dead taskmaster's run, the way a stop
 * always goes: the stopsignal to each target (its process group, its
 * cgroup's members, single processes found by their environment), then
 * SIGKILL once its stoptime is over, polled until all are gone. A zombie
 * does not count as alive: nobody may ever reap the dead daemon's.
 *
 * @module
 */

import { killMembers, populated, signalMembers } from "../process/cgroups.ts";
import { processRunning } from "../process/kernel_files.ts";
import { readProcTable } from "../process/proc_table.ts";
import { sendSignal } from "../process/signals.ts";
import { sleep, systemClock } from "../util/clock.ts";

/** How often recovery looks whether what it signalled is gone. */
export const POLL_MS = 25;
/** How long SIGKILL may take to be seen. */
const KILL_GRACE_MS = 5_000;

/** One thing to stop: an instance's group, cgroup or processes. */
export interface RecoveryTarget {
  /** The instance it belongs to (one event-log line per instance). */
  readonly name: string;
  readonly label: string;
  readonly pgid: number | null;
  readonly cgroup: string | null;
  /** Single processes found by their environment. */
  readonly pids: readonly number[];
  readonly stopsignal: Deno.Signal;
  readonly deadline: number;
}

/** Stops every target: stopsignal, SIGKILL after its deadline; resolves once all are gone. */
export async function stopTargets(targets: readonly RecoveryTarget[]): Promise<void> {
  for (const t of targets) signalTarget(t, t.stopsignal);
  let alive = targets.filter((t) => isAlive(t, livePgids()));
  while (alive.length > 0) {
    await sleep(systemClock, POLL_MS);
    const now = Date.now();
    for (const t of alive) if (now >= t.deadline) signalTarget(t, "SIGKILL");
    // One /proc scan per round serves every target.
    const groups = livePgids();
    alive = alive.filter((t) => isAlive(t, groups) && now < t.deadline + KILL_GRACE_MS);
  }
}

function signalTarget(t: RecoveryTarget, signal: Deno.Signal): void {
  // A failure means it is gone already.
  for (const pid of t.pids) sendSignal(pid, signal);
  if (t.pgid !== null) sendSignal(-t.pgid, signal);
  if (t.cgroup !== null) {
    if (signal === "SIGKILL") killMembers(t.cgroup);
    else signalMembers(t.cgroup, signal, t.pgid);
  }
}

function isAlive(t: RecoveryTarget, groups: ReadonlySet<number> | null): boolean {
  return (t.pgid !== null && groupHasLiveMember(t.pgid, groups)) ||
    (t.cgroup !== null && populated(t.cgroup)) || t.pids.some(processRunning);
}

/** Groups with a member that is not a zombie (nobody may reap the dead daemon's); null if unknown. */
function livePgids(): Set<number> | null {
  const table = readProcTable();
  if (table === null) return null;
  return new Set(table.filter((row) => row.state !== "Z").map((row) => row.pgid));
}

/** Whether process group `pgid` has a member that is not a zombie. */
export function groupHasLiveMember(
  pgid: number,
  groups: ReadonlySet<number> | null = livePgids(),
): boolean {
  if (groups !== null) return groups.has(pgid);
  return sendSignal(-pgid, 0) === 0;
}
