/**
 * What the kernel says about processes, from /proc: one scan gives every
 * process's group, resident memory and CPU time. Deno refuses /proc without
 * --allow-all, so the directory and the files are read through libc by FFI
 * (kernel_files.ts).
 * Used by `max_memory` (per-group RSS) and by anything that samples CPU/RSS.
 *
 * @module
 */

import { readKernelBytes, subdirectories } from "./kernel_files.ts";

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
const SPACE = 0x20;
const NEWLINE = 0x0a;
const DIGIT_ZERO = 0x30;
const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;
/** The last field read: rss, in pages. */
const RSS_FIELD = 24;

/**
 * Every process on the machine; null when /proc cannot be read (no FFI).
 * Processes that vanish during the scan are skipped.
 */
export function readProcTable(): ProcRow[] | null {
  // /proc always lists processes (this one at least): nothing listed means unreadable.
  const pids = subdirectories("/proc").filter((name) => /^\d+$/.test(name));
  if (pids.length === 0) return null;
  const rows: ProcRow[] = [];
  for (const pid of pids) {
    const row = readProcStat(Number(pid));
    if (row !== null) rows.push(row);
  }
  return rows;
}

/** /proc/PID/stat of one process, or null when it is gone (or /proc is unreadable). */
export function readProcStat(pid: number): ProcRow | null {
  const line = readKernelBytes(`/proc/${pid}/stat`);
  return line === null ? null : parseProcStat(line);
}

/**
 * Parses one /proc/PID/stat line, as read. The command name (field 2) may
 * hold spaces and parentheses, so fields are counted from its last `)`. It
 * reads the bytes in place: a status of thousands of instances parses one
 * line each, and decoding and splitting them (52 strings a line) made most
 * of the garbage a status call left.
 */
export function parseProcStat(line: Uint8Array): ProcRow | null {
  const open = line.indexOf(OPEN_PAREN);
  const close = line.lastIndexOf(CLOSE_PAREN);
  if (open < 2 || close < open) return null;
  const pid = decimal(line, 0, open - 1);
  let state = "?";
  let ppid = NaN, pgid = NaN, utime = NaN, stime = NaN, rssPages = NaN;
  let field = 3; // field 3 (state) starts after ") "
  let start = close + 2;
  for (let i = start; i <= line.length && field <= RSS_FIELD; i++) {
    if (i < line.length && line[i] !== SPACE && line[i] !== NEWLINE) continue;
    if (field === 3 && i > start) state = String.fromCharCode(line[start]!);
    else if (field === 4) ppid = decimal(line, start, i);
    else if (field === 5) pgid = decimal(line, start, i);
    else if (field === 14) utime = decimal(line, start, i);
    else if (field === 15) stime = decimal(line, start, i);
    else if (field === RSS_FIELD) rssPages = decimal(line, start, i);
    field++;
    start = i + 1;
  }
  const row = { pid, ppid, pgid, state, rssBytes: rssPages * PAGE_BYTES, cpuTicks: utime + stime };
  return Number.isFinite(row.pgid) && Number.isFinite(row.rssBytes) ? row : null;
}

/** The unsigned decimal in `bytes[from, to)`; NaN when empty or not all digits. */
function decimal(bytes: Uint8Array, from: number, to: number): number {
  if (from >= to) return NaN;
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = bytes[i]! - DIGIT_ZERO;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return value;
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
