/**
 * What the kernel says about processes, from /proc: one scan gives every
 * process's group, resident memory and CPU time. Deno refuses /proc without
 * --allow-all, so the directory and the files are read through libc by FFI.
 * Used by `max_memory` (per-group RSS) and by anything that samples CPU/RSS.
 *
 * @module
 */

import { libc } from "./libc.ts";

/** One process, as /proc/PID/stat describes it. */
export interface ProcRow {
  readonly pid: number;
  readonly ppid: number;
  /** Process group id. */
  readonly pgid: number;
  /** One-letter state (R, S, Z…). */
  readonly state: string;
  /** Resident set size in bytes. */
  readonly rssBytes: number;
  /** User + system CPU time in clock ticks (see {@link CLOCK_TICKS_PER_SECOND}). */
  readonly cpuTicks: number;
}

/** `sysconf(_SC_CLK_TCK)`: 100 on every Linux we run on. */
export const CLOCK_TICKS_PER_SECOND = 100;
/** Page size of x86_64 and most aarch64 kernels; RSS in /proc/PID/stat counts pages. */
const PAGE_BYTES = 4096;
/** Offset of `d_name` in glibc's 64-bit `struct dirent`. */
const D_NAME_OFFSET = 19;
const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const buffer = new Uint8Array(4096);

/**
 * Every process on the machine; null when /proc cannot be read (no FFI).
 * Processes that vanish during the scan are skipped.
 */
export function readProcTable(): ProcRow[] | null {
  const c = libc();
  if (c === null) return null;
  const dir = c.symbols.opendir(encoder.encode("/proc\0"));
  if (dir === null) return null;
  const pids: number[] = [];
  try {
    for (;;) {
      const entry = c.symbols.readdir(dir);
      if (entry === null) break;
      const name = new Deno.UnsafePointerView(entry).getCString(D_NAME_OFFSET);
      if (/^\d+$/.test(name)) pids.push(Number(name));
    }
  } finally {
    c.symbols.closedir(dir);
  }
  const rows: ProcRow[] = [];
  for (const pid of pids) {
    const row = readProcStat(pid);
    if (row !== null) rows.push(row);
  }
  return rows;
}

/** /proc/PID/stat of one process, or null when it is gone (or /proc is unreadable). */
export function readProcStat(pid: number): ProcRow | null {
  const text = readSmallFile(`/proc/${pid}/stat`);
  return text === null ? null : parseProcStat(text);
}

/**
 * Parses one /proc/PID/stat line. The command name (field 2) may hold spaces
 * and parentheses, so fields are counted from its last `)`.
 */
export function parseProcStat(text: string): ProcRow | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  // rest[0] is field 3 (state); field N is rest[N - 3].
  const rest = text.slice(close + 2).split(" ");
  const field = (n: number) => Number(rest[n - 3]);
  const row = {
    pid,
    ppid: field(4),
    pgid: field(5),
    state: rest[0] ?? "?",
    rssBytes: field(24) * PAGE_BYTES,
    cpuTicks: field(14) + field(15),
  };
  return Number.isFinite(row.pgid) && Number.isFinite(row.rssBytes) ? row : null;
}

/** Resident bytes of every live process in each group, from one scan. */
export function rssByGroup(rows: readonly ProcRow[]): Map<number, number> {
  const total = new Map<number, number>();
  for (const row of rows) {
    if (row.state === "Z") continue;
    total.set(row.pgid, (total.get(row.pgid) ?? 0) + row.rssBytes);
  }
  return total;
}

/** Resident bytes of group `pgid`'s live processes; null when /proc cannot be read. */
export function groupRss(pgid: number): number | null {
  const rows = readProcTable();
  return rows === null ? null : rssByGroup(rows).get(pgid) ?? 0;
}

function readSmallFile(path: string): string | null {
  const c = libc();
  if (c === null) return null;
  const fd = c.symbols.open(encoder.encode(`${path}\0`), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return null;
  try {
    const n = Number(c.symbols.read(fd, buffer, BigInt(buffer.length)));
    return n <= 0 ? null : decoder.decode(buffer.subarray(0, n));
  } finally {
    c.symbols.close(fd);
  }
}

/**
 * A `groupRss` that scans /proc at most once per `maxAgeMs`: many
 * `max_memory` checks due at about the same time share one scan.
 */
export function sharedGroupRss(
  maxAgeMs: number,
  now: () => number = Date.now,
): (pgid: number) => number | null {
  let takenAt = -Infinity;
  let table: Map<number, number> | null = null;
  return (pgid) => {
    if (now() - takenAt > maxAgeMs) {
      const rows = readProcTable();
      table = rows === null ? null : rssByGroup(rows);
      takenAt = now();
    }
    return table === null ? null : table.get(pgid) ?? 0;
  };
}
