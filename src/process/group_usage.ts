/**
 * CPU time and resident memory of whole process groups (or cgroups), from
 * one /proc scan (proc_table.ts): a program's workers and grandchildren count
 * with it, as `ps -g PGID` would show them. Where an instance has a cgroup,
 * its `cgroup.procs` lists the members instead.
 *
 * @module
 */

import { memberList } from "./cgroups.ts";
import { CLOCK_TICKS_PER_SECOND, type ProcRow, readProcStat, readProcTable } from "./proc_table.ts";

/** What one group uses at the moment of a sample. */
export interface GroupUsage {
  /** User + system CPU seconds of the live members. */
  readonly cpuSeconds: number;
  /** Resident set size of the live members, summed. */
  readonly rssBytes: number;
}

/** A group to measure: its pgid, and its cgroup directory when it has one. */
export interface GroupTarget {
  readonly pgid: number;
  readonly cgroup?: string | null;
}

/** Where the figures come from; replaced in tests. */
export interface ProcSource {
  /** Every process, or null when /proc cannot be read. */
  table(): readonly ProcRow[] | null;
  /** One process, or null when it is gone. */
  stat(pid: number): ProcRow | null;
  /** A cgroup's member pids, or null when it cannot be read. */
  cgroupPids(dir: string): number[] | null;
}

/** The real /proc (through libc) and cgroup files. */
export const systemProcSource: ProcSource = {
  table: readProcTable,
  stat: readProcStat,
  // The status that samples has just read the same list for its count.
  cgroupPids: memberList,
};

/**
 * Sums usage per target (zombies left out); a target with no live member
 * gets zeros. Null when /proc cannot be read at all.
 */
export function sampleGroups(
  targets: readonly GroupTarget[],
  source: ProcSource = systemProcSource,
): Map<number, GroupUsage> | null {
  const usage = new Map<number, GroupUsage>();
  // Groups without a readable cgroup: their members come from one pass over /proc.
  let scanned: Map<number, Total> | null = null;
  for (const target of targets) {
    const members = target.cgroup ? source.cgroupPids(target.cgroup) : null;
    if (members === null) {
      (scanned ??= new Map()).set(target.pgid, { ticks: 0, bytes: 0 });
      continue;
    }
    const total = { ticks: 0, bytes: 0 };
    for (const pid of members) addLive(total, source.stat(pid));
    usage.set(target.pgid, usageOf(total));
  }
  if (scanned !== null) {
    const rows = source.table();
    if (rows === null) return null;
    for (const row of rows) {
      const total = scanned.get(row.pgid);
      if (total !== undefined) addLive(total, row);
    }
    scanned.forEach((total, pgid) => usage.set(pgid, usageOf(total)));
  }
  return usage;
}

interface Total {
  ticks: number;
  bytes: number;
}

/** Adds a process's CPU ticks and memory to `total`, unless it is gone or a zombie. */
function addLive(total: Total, row: ProcRow | null): void {
  if (row === null || row.state === "Z") return;
  total.ticks += row.cpuTicks;
  total.bytes += row.rssBytes;
}

function usageOf(total: Total): GroupUsage {
  return { cpuSeconds: total.ticks / CLOCK_TICKS_PER_SECOND, rssBytes: total.bytes };
}
