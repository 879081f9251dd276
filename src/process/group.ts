/**
 * Process-group facts and signals. Every child leads its own group, so a
 * stop reaches grandchildren too (SEMANTICS.md, difference 2).
 *
 * @module
 */

import type { Clock } from "../util/clock.ts";
import { readProcTable } from "./proc_table.ts";
import { ERRNO } from "./libc.ts";
import { sendSignal, signalError } from "./signals.ts";
import { stopTargets } from "./stop_policy.ts";

/** Answers whether a process group still has live members. */
export type GroupProbe = (pgid: number) => Promise<boolean>;

/**
 * A probe for a daemon that reaps its orphans (see reaper.ts): after a sweep
 * no zombie of the group is left, so `kill(-pgid, 0)` alone is exact.
 */
export function reapingGroupProbe(sweep: () => void): GroupProbe {
  // A stop's exits come in bursts: the sweep that collects them tells each
  // one, and each asks here. One more sweep reaps every orphan there is to
  // reap, for every probe until its microtask runs (the rest of this run and
  // the microtasks already queued); the group is looked at a microtask later,
  // once any sweep in progress is over, not half way through it. A zombie
  // that comes in between counts as alive: the stop's group watch looks again.
  let sweptThisTurn = false;
  return async (pgid) => {
    if (!sweptThisTurn) {
      sweptThisTurn = true;
      queueMicrotask(() => sweptThisTurn = false);
      sweep();
    }
    await undefined;
    return groupExists(pgid);
  };
}

/** Whether any process (zombies included) is in group `pgid`. */
export function groupExists(pgid: number): boolean {
  return sendSignal(-pgid, 0) !== ERRNO.ESRCH;
}

/**
 * Whether any live (non-zombie) process is still in group `pgid`, for a
 * daemon that cannot reap orphans.
 * `kill(-pgid, 0)` answers the common case in one syscall. Only when it says
 * yes do we read the process table, to tell zombies (orphans that nobody
 * reaped yet: many container inits never do) from the living.
 */
export async function groupAlive(pgid: number): Promise<boolean> {
  if (!groupExists(pgid)) return false;
  const table = await processTable();
  // Without a table, trust kill(): a zombie may then keep a stop waiting until stoptime.
  return table === null || table.some((p) => p.pgid === pgid && !p.stat.startsWith("Z"));
}

interface ProcessRow {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly stat: string;
}

/**
 * Every process on the machine: from /proc through libc where FFI is
 * allowed, else from `ps`; null when neither works. Where FFI is allowed
 * the orphan reaper (reaper.ts) runs too, and it would collect a `ps` child
 * that exited before Deno did: the output would then be lost, and with it
 * the proof that a leftover group is ours.
 */
async function processTable(): Promise<ProcessRow[] | null> {
  const proc = readProcTable();
  if (proc !== null) {
    return proc.map((p) => ({ pid: p.pid, ppid: p.ppid, pgid: p.pgid, stat: p.state }));
  }
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("ps", {
      args: ["-e", "-o", "pid=,ppid=,pgid=,stat="],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
  } catch {
    return null;
  }
  if (!out.success) return null;
  const rows: ProcessRow[] = [];
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const [pid, ppid, pgid, stat] = line.trim().split(/\s+/);
    if (stat !== undefined) {
      rows.push({ pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid), stat });
    }
  }
  return rows;
}

/**
 * Sends `signal` to the whole group. Returns false when the group no longer
 * exists; other failures (EPERM) are thrown for the caller to report.
 */
export function signalGroup(pgid: number, signal: Deno.Signal): boolean {
  const errno = sendSignal(-pgid, signal);
  if (errno === ERRNO.ESRCH) return false;
  if (errno !== 0) throw signalError(errno);
  return true;
}

/** A group left behind by a leader that exited on its own, to clean up at shutdown. */
export interface LeftoverGroup {
  readonly pgid: number;
  readonly signal: Deno.Signal;
  readonly stoptimeMs: number;
}

/**
 * Stops what is left of groups whose leader exited (a daemonized grandchild,
 * say), so shutdown leaves nothing behind: stopsignal, then SIGKILL after
 * stoptime, waiting on `clock`. pid numbers are reused (pid_max may be
 * 32768), so a group is only signalled while one of its members is our own
 * child: an orphan re-parented to us as subreaper. Without that proof it is
 * left alone.
 */
export async function stopLeftoverGroups(
  groups: readonly LeftoverGroup[],
  clock: Clock,
  os: GroupOps,
): Promise<number[]> {
  const ours = await ownedGroups(groups.map((g) => g.pgid));
  const targets = groups.filter((g) => ours.has(g.pgid));
  await stopTargets(targets, {
    signal: (g, signal) => os.signalGroup(g.pgid, signal),
    alive: (g) => os.groupExists(g.pgid),
  }, clock);
  return targets.map((g) => g.pgid);
}

/** The group calls the stop policy makes (a ProcessOs has them). */
export interface GroupOps {
  signalGroup(pgid: number, signal: Deno.Signal): boolean;
  groupExists(pgid: number): boolean;
}

async function ownedGroups(pgids: readonly number[]): Promise<Set<number>> {
  const wanted = new Set(pgids);
  const owned = new Set<number>();
  if (wanted.size === 0) return owned;
  for (const p of (await processTable()) ?? []) {
    if (p.ppid === Deno.pid && wanted.has(p.pgid)) owned.add(p.pgid);
  }
  return owned;
}
