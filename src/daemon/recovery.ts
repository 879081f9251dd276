/**
 * Recovery after a taskmaster died without cleaning up (SIGKILL, the OOM
 * killer): before any program starts, whatever the dead daemon left running
 * is stopped the normal way (stopsignal, then SIGKILL after stoptime), so a
 * program never runs twice, not even for a moment. Only processes that are
 * provably the dead daemon's are touched: an instance whose pid still has
 * the recorded start time, a process group of ours whose leader is gone,
 * and anything inside its cgroups. A live taskmaster's state is never
 * touched.
 *
 * @module
 */

import { killMembers, members, populated, release, signalMembers } from "../process/cgroups.ts";
import { processStartTime, subdirectories } from "../process/kernel_files.ts";
import { readProcTable } from "../process/proc_table.ts";
import type { InstanceRecord } from "./state_file.ts";
import { readStateFile } from "./state_file.ts";

/** How often recovery looks whether what it signalled is gone. */
const POLL_MS = 25;
/** What a cgroup without a record gets, as a program's defaults. */
const DEFAULT_STOP = { stopsignal: "SIGTERM" as Deno.Signal, stoptime: 10 };
/** How long SIGKILL may take to be seen. */
const KILL_GRACE_MS = 5_000;

/** Where recovery looks, and where it reports. */
export interface RecoveryOptions {
  readonly statePath: string;
  /** This taskmaster's cgroup root, also searched (a state file may be lost). */
  readonly cgroupRoot: string | null;
  readonly log: (level: "info" | "warning" | "error", message: string) => void;
}

/** What recovery found: a live owner (hands off), or what it stopped. */
export type RecoveryResult =
  | { readonly ok: true; readonly stopped: number }
  | { readonly ok: false; readonly reason: string };

interface Target {
  readonly label: string;
  readonly pgid: number | null;
  readonly cgroup: string | null;
  readonly stopsignal: Deno.Signal;
  readonly deadline: number;
}

/** Stops what a dead taskmaster left; refuses when the state file's taskmaster is alive. */
export async function recoverPreviousRun(options: RecoveryOptions): Promise<RecoveryResult> {
  const { statePath, log } = options;
  const state = readStateFile(statePath);
  if (state !== null && "error" in state) {
    log("warning", `ignoring state file ${statePath}: ${state.error}`);
  }
  const usable = state !== null && !("error" in state) ? state : null;
  if (usable !== null) {
    const d = usable.daemon;
    if (d.pid !== Deno.pid && d.startTime !== null && processStartTime(d.pid) === d.startTime) {
      return {
        ok: false,
        reason: `taskmaster pid ${d.pid} is still running with state file ${statePath}`,
      };
    }
  }
  const now = Date.now();
  const targets: Target[] = [];
  const covered = new Set<string>();
  if (usable !== null && usable.instances.length > 0) {
    log(
      "warning",
      `previous taskmaster (pid ${usable.daemon.pid}) is gone; stopping the ${usable.instances.length} instance(s) its state file ${statePath} lists before anything starts`,
    );
  }
  for (const record of usable?.instances ?? []) {
    if (record.cgroup !== null) covered.add(record.cgroup);
    if (!provablyOurs(record)) continue;
    targets.push({
      label: `${record.name} (pid ${record.pid})`,
      pgid: record.pgid,
      cgroup: record.cgroup,
      stopsignal: record.stopsignal,
      deadline: now + record.stoptime * 1000,
    });
  }
  // Survivors the records do not name: an exited program's setsid'd child, a
  // spawn the file had not caught yet. Every cgroup under a root of ours.
  const roots = new Set([usable?.cgroupRoot ?? null, options.cgroupRoot]);
  for (const root of roots) {
    if (root === null) continue;
    for (const cgroup of instanceCgroups(root)) {
      if (covered.has(cgroup) || !populated(cgroup)) continue;
      const name = cgroup.slice(cgroup.lastIndexOf("/") + 1);
      const pid = members(cgroup)[0];
      targets.push({
        label: pid === undefined ? `${name} (cgroup ${cgroup})` : `${name} (pid ${pid})`,
        pgid: null,
        cgroup,
        stopsignal: DEFAULT_STOP.stopsignal,
        deadline: now + DEFAULT_STOP.stoptime * 1000,
      });
    }
  }
  await stopTargets(targets);
  for (const t of targets) {
    log("info", `recovered ${t.label} left by a previous taskmaster: stopped`);
  }
  for (const root of roots) if (root !== null) await removeEmptyCgroups(root);
  return { ok: true, stopped: targets.length };
}

/**
 * The recorded pid still has its recorded start time; or it is gone but its
 * group lives on (a pid that leads a live group is never handed out again,
 * so that group is still the one we made).
 */
function provablyOurs(record: InstanceRecord): boolean {
  const start = processStartTime(record.pid);
  if (start !== null) return record.startTime !== null && start === record.startTime;
  return record.pgid === record.pid && groupHasLiveMember(record.pgid);
}

async function stopTargets(targets: readonly Target[]): Promise<void> {
  for (const t of targets) signalTarget(t, t.stopsignal);
  let alive = targets.filter((t) => isAlive(t, livePgids()));
  while (alive.length > 0) {
    await sleep(POLL_MS);
    const now = Date.now();
    for (const t of alive) if (now >= t.deadline) signalTarget(t, "SIGKILL");
    // One /proc scan per round serves every target.
    const groups = livePgids();
    alive = alive.filter((t) => isAlive(t, groups) && now < t.deadline + KILL_GRACE_MS);
  }
}

function signalTarget(t: Target, signal: Deno.Signal): void {
  if (t.pgid !== null) {
    try {
      Deno.kill(-t.pgid, signal);
    } catch {
      // Gone already.
    }
  }
  if (t.cgroup !== null) {
    if (signal === "SIGKILL") killMembers(t.cgroup);
    else signalMembers(t.cgroup, signal);
  }
}

function isAlive(t: Target, groups: ReadonlySet<number> | null): boolean {
  return (t.pgid !== null && groupHasLiveMember(t.pgid, groups)) ||
    (t.cgroup !== null && populated(t.cgroup));
}

/** Groups with a member that is not a zombie (nobody may reap the dead daemon's); null if unknown. */
function livePgids(): Set<number> | null {
  const table = readProcTable();
  if (table === null) return null;
  return new Set(table.filter((row) => row.state !== "Z").map((row) => row.pgid));
}

function groupHasLiveMember(
  pgid: number,
  groups: ReadonlySet<number> | null = livePgids(),
): boolean {
  if (groups !== null) return groups.has(pgid);
  try {
    Deno.kill(-pgid, 0 as unknown as Deno.Signal);
    return true;
  } catch {
    return false;
  }
}

function instanceCgroups(root: string): string[] {
  return subdirectories(root).flatMap((program) =>
    subdirectories(`${root}/${program}`).map((instance) => `${root}/${program}/${instance}`)
  );
}

async function removeEmptyCgroups(root: string): Promise<void> {
  await Promise.all(instanceCgroups(root).map((cgroup) => release(cgroup)));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
