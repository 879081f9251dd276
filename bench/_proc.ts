/**
 * Reads /proc, the bench's only source of truth about processes: children of
 * a pid, resident memory, CPU ticks. Nothing here asks a supervisor anything.
 *
 * @module
 */

/** Clock ticks per second of /proc/PID/stat times (CLK_TCK on Linux). */
export const CLK_TCK = 100;

/** The fields of /proc/PID/stat the bench uses. */
export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  /** R, S, D, Z, T… */
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  /** Page faults served without I/O (minflt). */
  readonly minorFaults: number;
  /** User + system CPU time in clock ticks. */
  readonly ticks: number;
  /** Start time since boot in clock ticks: with the pid, identifies a process. */
  readonly starttime: number;
}

/** A process that was seen: pid plus start time, so a recycled pid is never signalled. */
export interface ProcId {
  readonly pid: number;
  readonly starttime: number;
}

/** /proc/PID/stat, or null if the process is gone. */
export function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  // Fields from 3 on (state) follow "(comm) ".
  const f = text.slice(close + 2).split(" ");
  const num = (i: number) => Number(f[i - 3]);
  return {
    pid,
    comm,
    state: f[0] ?? "?",
    ppid: num(4),
    pgrp: num(5),
    minorFaults: num(10),
    ticks: num(14) + num(15),
    starttime: num(22),
  };
}

/** The command line of `pid` with NULs as spaces, or null if gone. */
export function cmdline(pid: number): string | null {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).replace(/\0+$/, "").replaceAll("\0", " ");
  } catch {
    return null;
  }
}

/**
 * Pids whose parent is `ppid`, zombies included: the union of
 * /proc/PPID/task/TID/children over every thread (a multi-threaded parent's
 * children hang off the thread that forked them).
 */
export function childrenOf(ppid: number): number[] {
  const pids: number[] = [];
  let tasks: Iterable<Deno.DirEntry>;
  try {
    tasks = Deno.readDirSync(`/proc/${ppid}/task`);
  } catch {
    return pids;
  }
  for (const task of tasks) {
    let text: string;
    try {
      text = Deno.readTextFileSync(`/proc/${ppid}/task/${task.name}/children`);
    } catch {
      continue;
    }
    for (const word of text.split(" ")) {
      if (word !== "") pids.push(Number(word));
    }
  }
  return pids;
}

/** Children of `ppid` that have not exited (zombies left out), with their stat. */
export function liveChildren(ppid: number): ProcStat[] {
  const live: ProcStat[] = [];
  for (const pid of childrenOf(ppid)) {
    const stat = readStat(pid);
    if (stat !== null && stat.state !== "Z" && stat.ppid === ppid) live.push(stat);
  }
  return live;
}

/** A `kB` field of /proc/PID/status in bytes, or null if gone. */
function statusBytes(pid: number, field: string): number | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return null;
  }
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(text);
  return match?.[1] === undefined ? null : Number(match[1]) * 1024;
}

/** Resident set size of `pid` in bytes (VmRSS of /proc/PID/status), or null if gone. */
export function rssBytes(pid: number): number | null {
  return statusBytes(pid, "VmRSS");
}

/**
 * Anonymous resident bytes of `pid` (RssAnon of /proc/PID/status), or null
 * if gone: RSS without the executable's file pages, which come and go with
 * what code last ran (±3 MB between two runs of the same daemon here).
 */
export function rssAnonBytes(pid: number): number | null {
  return statusBytes(pid, "RssAnon");
}

/** utime + stime of `pid` (all its threads) in seconds, or null if gone. */
export function cpuSeconds(pid: number): number | null {
  const stat = readStat(pid);
  return stat === null ? null : stat.ticks / CLK_TCK;
}

/** The identity of a live `pid`, or null. */
export function identify(pid: number): ProcId | null {
  const stat = readStat(pid);
  return stat === null || stat.state === "Z" ? null : { pid, starttime: stat.starttime };
}

/** Whether the very process `id` still runs (not a zombie, pid not recycled). */
export function stillRunning(id: ProcId): boolean {
  const stat = readStat(id.pid);
  return stat !== null && stat.state !== "Z" && stat.starttime === id.starttime;
}

/**
 * Sends `signal` to each process of `ids` that is still the same process,
 * and to its process group when it leads one. Returns how many were signalled.
 */
export function killTracked(ids: Iterable<ProcId>, signal: Deno.Signal = "SIGKILL"): number {
  let count = 0;
  for (const id of ids) {
    const stat = readStat(id.pid);
    if (stat === null || stat.state === "Z" || stat.starttime !== id.starttime) continue;
    try {
      if (stat.pgrp === id.pid) Deno.kill(-id.pid, signal);
      else Deno.kill(id.pid, signal);
      count++;
    } catch {
      // exited in between
    }
  }
  return count;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `check` every `intervalMs` until it returns a non-null value; returns
 * it with the time (performance.now()) at which it was seen. Throws after
 * `timeoutMs`.
 */
export async function pollUntil<T>(
  check: () => T | null,
  options: { intervalMs?: number; timeoutMs: number; what: string },
): Promise<{ value: T; at: number }> {
  const interval = options.intervalMs ?? 5;
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    const value = check();
    const at = performance.now();
    if (value !== null) return { value, at };
    if (at > deadline) throw new Error(`timed out after ${options.timeoutMs} ms: ${options.what}`);
    await sleep(interval);
  }
}

/** The main thread's ns on a CPU and ns waiting for one (schedstat's first two fields). */
export function mainThreadSchedule(pid: number): { onCpu: number; waiting: number } {
  const [onCpu, waiting] = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/schedstat`)
    .split(" ").map(Number);
  return { onCpu: onCpu!, waiting: waiting! };
}

/** How often the main thread gave its CPU up (voluntary context switches) so far. */
export function mainThreadYields(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/status`);
  return Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
}
