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

import { members, populated, release } from "../process/cgroups.ts";
import { processStartTime, readKernelFile, subdirectories } from "../process/kernel_files.ts";
import { type ProcRow, readProcTable } from "../process/proc_table.ts";
import type { DaemonState, InstanceRecord } from "./state_file.ts";
import { readStateFile } from "./state_file.ts";
import { groupHasLiveMember, POLL_MS, type RecoveryTarget, stopTargets } from "./recovery_stop.ts";
import { sleep, systemClock } from "../util/clock.ts";

/** What a cgroup without a record gets, as a program's defaults. */
const DEFAULT_STOP = { stopsignal: "SIGTERM" as Deno.Signal, stoptime: 10 };
/** Longest wait for the dead daemon's forks to exec. */
const FORK_WAIT_MS = 10_000;
/** Scans after the first; each finds only spawns that were under way. */
const MAX_ROUNDS = 5;

/** Where recovery looks, and where it reports. */
export interface RecoveryOptions {
  readonly statePath: string;
  /** This taskmaster's cgroup root, also searched (a state file may be lost). */
  readonly cgroupRoot: string | null;
  /** This taskmaster's SUPERVISOR_SERVER_URL (its children carry it). */
  readonly serverUrl?: string;
  readonly log: (level: "info" | "warning" | "error", message: string) => void;
}

/** What recovery found: a live owner (hands off), or what it stopped. */
export type RecoveryResult =
  | { readonly ok: true; readonly stopped: number }
  | { readonly ok: false; readonly reason: string };

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
  if (usable !== null && usable.instances.length > 0) {
    log(
      "warning",
      `previous taskmaster (pid ${usable.daemon.pid}) is gone; stopping the ${usable.instances.length} instance(s) its state file ${statePath} lists before anything starts`,
    );
  }
  const records = usable?.instances ?? [];
  const search: Search = {
    roots: [...new Set([usable?.cgroupRoot ?? null, options.cgroupRoot])]
      .filter((root): root is string => root !== null),
    urls: new Set(
      [usable?.serverUrl ?? null, options.serverUrl ?? null].filter((u): u is string => u !== null),
    ),
    stopOf: (name) => records.find((r) => r.name === name) ?? DEFAULT_STOP,
  };
  const now = Date.now();
  let pending: RecoveryTarget[] = records.filter(provablyOurs).map((record) => ({
    name: record.name,
    label: `${record.name} (pid ${record.pid})`,
    pgid: record.pgid,
    cgroup: record.cgroup,
    pids: [],
    stopsignal: record.stopsignal,
    deadline: now + record.stoptime * 1000,
  }));
  pending.push(...survivors(search, pending));
  // A spawn under way when the old taskmaster died may surface after a scan:
  // a fork of it that has not exec'd yet, a shim that enters its cgroup a
  // moment later (it then sees its parent gone and exits before the program
  // runs). Once the old daemon's half-born forks are gone, scan again until
  // a round finds nothing, so nothing of the old run is left when programs start.
  const logged = new Set<string>();
  let stopped = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    await stopTargets(pending);
    for (const t of pending) {
      stopped++;
      if (logged.has(t.name)) continue;
      logged.add(t.name);
      log("info", `recovered ${t.label} left by a previous taskmaster: stopped`);
    }
    if (usable !== null) await forksGone(usable.daemon);
    pending = survivors(search, []);
    if (pending.length === 0) break;
  }
  for (const root of search.roots) await removeEmptyCgroups(root);
  return { ok: true, stopped };
}

/**
 * Waits (at most {@link FORK_WAIT_MS}) until no fork of the dead daemon is
 * still between fork and exec: such a process still has the daemon's
 * command line, and execs a shim (or, without one, the program) once the
 * scheduler lets it run, which under load can take a while. A process with
 * that command line that started before the daemon (or is us, or our
 * ancestor) is not one of them.
 */
async function forksGone(daemon: DaemonState["daemon"]): Promise<void> {
  if (daemon.cmdline === undefined || daemon.startTime === null) return;
  const born = Number(daemon.startTime);
  const deadline = Date.now() + FORK_WAIT_MS;
  while (Date.now() < deadline) {
    const table = readProcTable();
    if (table === null) return;
    const ancestors = ancestorsOf(Deno.pid, table);
    const halfBorn = table.some((row) =>
      row.state !== "Z" && !ancestors.has(row.pid) && row.pid !== daemon.pid &&
      Number(processStartTime(row.pid) ?? -1) >= born &&
      readKernelFile(`/proc/${row.pid}/cmdline`) === daemon.cmdline
    );
    if (!halfBorn) return;
    await sleep(systemClock, POLL_MS);
  }
}

/** Where survivors of the old run can be found. */
interface Search {
  /** Cgroup roots: every populated cgroup below one is the old run's. */
  readonly roots: readonly string[];
  /** SUPERVISOR_SERVER_URL values of the old run's (and our own) children. */
  readonly urls: ReadonlySet<string>;
  /** How the state file said to stop an instance (defaults when it did not). */
  readonly stopOf: (name: string) => { stopsignal: Deno.Signal; stoptime: number };
}

/**
 * What the old run left that `known` does not already cover: every
 * populated cgroup under a root of ours (an exited program's setsid'd child,
 * a spawn the file had not caught yet), and every process whose environment
 * carries our socket in SUPERVISOR_SERVER_URL (what taskmaster gives each
 * child: it finds children the file missed without cgroups too, as long as
 * they keep their environment).
 */
function survivors(search: Search, known: readonly RecoveryTarget[]): RecoveryTarget[] {
  const now = Date.now();
  const targets: RecoveryTarget[] = [];
  const coveredCgroups = new Set(known.map((t) => t.cgroup).filter((c) => c !== null));
  for (const root of search.roots) {
    for (const cgroup of instanceCgroups(root)) {
      if (coveredCgroups.has(cgroup) || !populated(cgroup)) continue;
      const name = instanceOfCgroup(cgroup);
      const pid = members(cgroup)[0];
      const stop = search.stopOf(name);
      targets.push({
        name,
        label: pid === undefined ? `${name} (cgroup ${cgroup})` : `${name} (pid ${pid})`,
        pgid: null,
        cgroup,
        pids: [],
        stopsignal: stop.stopsignal,
        deadline: now + stop.stoptime * 1000,
      });
      coveredCgroups.add(cgroup);
    }
  }
  if (search.urls.size === 0) return targets;
  const table = readProcTable();
  if (table === null) return targets;
  const coveredPids = new Set<number>();
  for (const cgroup of coveredCgroups) for (const pid of members(cgroup)) coveredPids.add(pid);
  const coveredGroups = new Set(known.map((t) => t.pgid).filter((g) => g !== null));
  const ancestors = ancestorsOf(Deno.pid, table);
  const byName = new Map<string, number[]>();
  for (const row of table) {
    if (row.state === "Z" || ancestors.has(row.pid) || coveredPids.has(row.pid)) continue;
    if (coveredGroups.has(row.pgid)) continue;
    const name = carriedInstance(row.pid, search.urls);
    if (name === null) continue;
    byName.set(name, [...byName.get(name) ?? [], row.pid]);
  }
  for (const [name, pids] of byName) {
    const stop = search.stopOf(name);
    targets.push({
      name,
      label: `${name} (pid ${pids[0]})`,
      pgid: null,
      cgroup: null,
      pids,
      stopsignal: stop.stopsignal,
      deadline: now + stop.stoptime * 1000,
    });
  }
  return targets;
}

/** `web:3` for `<root>/web/web:3`. */
function instanceOfCgroup(cgroup: string): string {
  return cgroup.slice(cgroup.lastIndexOf("/") + 1);
}

/** This process and its ancestors: never ours to stop, whatever their environment says. */
function ancestorsOf(pid: number, table: readonly ProcRow[]): Set<number> {
  const parent = new Map(table.map((row) => [row.pid, row.ppid]));
  const chain = new Set<number>();
  for (
    let p: number | undefined = pid;
    p !== undefined && p > 0 && !chain.has(p);
    p = parent.get(p)
  ) {
    chain.add(p);
  }
  return chain;
}

/**
 * The instance a process was started for, when its environment (as it was
 * exec'd: /proc/PID/environ) says a taskmaster on one of `urls` started it
 * or its ancestor; null otherwise.
 */
function carriedInstance(pid: number, urls: ReadonlySet<string>): string | null {
  const environ = readKernelFile(`/proc/${pid}/environ`);
  if (environ === null || !environ.includes("SUPERVISOR_SERVER_URL=")) return null;
  const env = new Map<string, string>();
  for (const entry of environ.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  const url = env.get("SUPERVISOR_SERVER_URL");
  const group = env.get("SUPERVISOR_GROUP_NAME");
  const process = env.get("SUPERVISOR_PROCESS_NAME");
  if (url === undefined || !urls.has(url) || env.get("SUPERVISOR_ENABLED") !== "1") return null;
  if (group === undefined || process === undefined) return null;
  return process === group ? group : `${group}:${process}`;
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

function instanceCgroups(root: string): string[] {
  return subdirectories(root).flatMap((program) =>
    subdirectories(`${root}/${program}`).map((instance) => `${root}/${program}/${instance}`)
  );
}

async function removeEmptyCgroups(root: string): Promise<void> {
  await Promise.all(instanceCgroups(root).map((cgroup) => release(cgroup)));
}
