/**
 * Every instance in its own cgroup v2 (`<root>/<program>/<instance>`), where
 * a writable hierarchy exists. A process group only holds what stays in it;
 * a cgroup holds every descendant, even one that ran `setsid`, and it cannot
 * be left without privileges. The spawner's shim moves the child in before
 * it execs, so nothing of it forks outside; a stop signals every member and
 * `cgroup.kill` ends whatever is left. Files are reached through libc
 * (kernel_files.ts): Deno opens /sys only with --allow-all.
 *
 * @module
 */

import {
  madeOrThere,
  makeDirectory,
  readKernelFile,
  removeDirectory,
  removeDirectoryInBackground,
  subdirectories,
  writeKernelFile,
} from "./kernel_files.ts";
import { sendSignal } from "./signals.ts";

/** The mount point of the cgroup v2 hierarchy (`/sys/fs/cgroup`, or `…/unified` on a hybrid layout), or null. */
export function cgroup2Mount(mountinfo = readKernelFile("/proc/self/mountinfo")): string | null {
  if (mountinfo === null) return null;
  const mounts: string[] = [];
  for (const line of mountinfo.split("\n")) {
    const [left, right] = line.split(" - ");
    if (right === undefined || !right.startsWith("cgroup2 ")) continue;
    const fields = left!.split(" ");
    const point = fields[4];
    const options = fields[5] ?? "";
    if (point !== undefined && options.split(",").includes("rw")) mounts.push(point);
  }
  return mounts.find((m) => m === "/sys/fs/cgroup") ?? mounts[0] ?? null;
}

/** A short stable name for a path (FNV-1a, 32 bits, hex). */
export function pathKey(path: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(path)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

/** What a runner needs of its instance's cgroup. */
export interface CgroupPort {
  /**
   * The instance's cgroup (null: none for it), made if missing. Entering it is
   * left to the child's shim, which also makes it again if a removal won a race.
   * `held`: the cgroup the instance still holds (its last child's, never
   * released since): there, no `mkdir` to learn that it exists.
   */
  prepare(program: string, instance: string, held?: string | null): string | null;
  /**
   * Signals every member (but those of `exceptGroup`, signalled through
   * their group: a trap must run once); SIGKILL kills them all at once.
   */
  signal(path: string, signal: Deno.Signal, exceptGroup?: number | null): void;
  /** Whether a live process is left in it. */
  populated(path: string): boolean;
  /** How many live processes are in it. */
  count(path: string): number;
  /** Removes it (and its program's directory) if empty, in the background. */
  release(path: string): void;
}

/** The cgroups of one taskmaster: `<root>/<program>/<instance>`. */
export class CgroupTree implements CgroupPort {
  readonly root: string;
  /** Cgroups to remove, one at a time (see {@link CgroupTree.release}). */
  #toRemove: string[] = [];
  #removing: Promise<void> | null = null;
  /** The directories open() made, outermost first. */
  readonly #made: readonly string[];
  /** Whether each program's cgroup was populated, as read in the current synchronous run. */
  readonly #programsThisTurn = new RunMemo<string, boolean>();

  private constructor(root: string, made: readonly string[]) {
    this.root = root;
    this.#made = made;
  }

  /** Creates `root` (and its parents) in a cgroup v2 hierarchy; null when that is not possible. */
  static open(root: string): CgroupTree | null {
    const parts = root.split("/").filter((p) => p !== "");
    let path = "";
    let inCgroupfs = false;
    const made: string[] = [];
    for (const part of parts) {
      path += `/${part}`;
      // Directories are only ever made inside a cgroup hierarchy, never elsewhere.
      if (inCgroupfs && !isCgroup(path) && makeDirectory(path)) made.push(path);
      inCgroupfs = isCgroup(path);
    }
    if (!isCgroup(root)) return null;
    return new CgroupTree(root, made);
  }

  /**
   * Removes what open() made, innermost first, for a daemon that could not
   * start: nothing ran in it. A tree that was there before (a live
   * taskmaster's on the same state file) is not this run's to remove.
   */
  undoOpen(): void {
    for (const path of [...this.#made].reverse()) removeDirectory(path);
  }

  /** The directory of one instance (not created). */
  pathOf(program: string, instance: string): string {
    return `${this.root}/${program}/${instance}`;
  }

  /**
   * Made here because mkdir(2) of a cgroup costs the kernel ~0.1 ms, on a
   * loaded VM too, where the shim's fallback runs /usr/bin/mkdir twice (two
   * fork+execs, 8-13 ms on a quiet VM) before the first run of every
   * instance (measured 2026-12-02). What waits for an RCU grace period is
   * entering a cgroup (3-10 ms quiet, 14-33 ms at load 4): that stays in the
   * child, off the event loop.
   */
  prepare(program: string, instance: string, held: string | null = null): string | null {
    const path = this.pathOf(program, instance);
    // The child may be in it before the next populated() call: the program is no longer empty.
    this.#programsThisTurn.forget(parentOf(path));
    // A queued removal would take the new run's cgroup away before its child enters it.
    if (this.#toRemove.includes(path)) {
      this.#toRemove = this.#toRemove.filter((queued) => queued !== path);
    }
    // A restart: the exited child's cgroup was never released, so it is there
    // (one cold mkdir less on the restart's path; removed behind our back,
    // the native spawn cannot open it and the shim makes it again).
    if (path === held) return path;
    // Innermost first: after the first run the instance's directory (or at
    // least its program's) is there and one mkdir does, each ~0.02 ms of a
    // restart. Otherwise the chain is made from the outside in, the root too: a
    // daemon refused at start on the same state file may have undone a tree it took
    // for its own (undoOpen) just after this one found it.
    if (!madeOrThere(path)) {
      for (const dir of [parentOf(this.root), this.root, parentOf(path), path]) makeDirectory(dir);
    }
    return path;
  }

  signal(path: string, signal: Deno.Signal, exceptGroup: number | null = null): void {
    if (signal === "SIGKILL") killMembers(path);
    else signalMembers(path, signal, exceptGroup);
  }

  /**
   * A stop of N instances reaps their exits in one burst and asks each
   * cgroup whether it is empty: the program's cgroup, empty, answers for
   * all of them in one read (populated counts descendants). Asked once
   * until a queued microtask forgets it, as {@link memberList} is: one read
   * more per program at most when the program is still populated. An empty
   * program stays empty until a spawn of ours, and {@link prepare} forgets it.
   */
  populated(path: string): boolean {
    const program = parentOf(path);
    if (program === this.root) return populated(path);
    return readOnce(this.#programsThisTurn.map, program, populated) && populated(path);
  }

  count(path: string): number {
    return memberList(path)?.length ?? 0;
  }

  /**
   * Queued and removed one at a time: each background rmdir costs the event
   * loop a worker hand-off, and a stop of many instances issued them all at
   * once before answering (and started a thread each). The first starts at once.
   */
  release(path: string): void {
    this.#toRemove.push(path);
    this.#removing ??= this.#removeQueued();
  }

  async #removeQueued(): Promise<void> {
    // Until nothing is queued: a release made while the program directories
    // were going would otherwise wait for the next release (or the shutdown).
    while (this.#toRemove.length > 0) {
      const programs = new Set<string>();
      for (let path = this.#toRemove.shift(); path !== undefined; path = this.#toRemove.shift()) {
        if (await removeDirectoryInBackground(path)) programs.add(parentOf(path));
      }
      // A program's directory goes once its last instance's has.
      for (const program of programs) await removeDirectoryInBackground(program);
    }
    this.#removing = null;
  }

  /** Every instance cgroup under the root (`<root>/*\/*`). */
  instances(): string[] {
    return subdirectories(this.root).flatMap((program) =>
      subdirectories(`${this.root}/${program}`).map((i) => `${this.root}/${program}/${i}`)
    );
  }

  /** Removes the root and every empty cgroup under it (at exit). */
  async removeEmpty(): Promise<void> {
    while (this.#removing !== null) await this.#removing;
    await Promise.all(this.instances().map((path) => release(path)));
    await Promise.all(
      subdirectories(this.root).map((p) => removeDirectoryInBackground(`${this.root}/${p}`)),
    );
    await removeDirectoryInBackground(this.root);
  }
}

/** Kills every member at once (`cgroup.kill`, Linux 5.14+; before that, SIGKILL to each member). */
export function killMembers(path: string): void {
  if (writeKernelFile(`${path}/cgroup.kill`, "1")) return;
  signalMembers(path, "SIGKILL");
}

/** Live members of a cgroup (zombies are not listed). */
export function members(path: string): number[] {
  return readMembers(path) ?? [];
}

/** cgroup.procs's pids, or null when it cannot be read. */
function readMembers(path: string): number[] | null {
  const text = readKernelFile(`${path}/cgroup.procs`, { shortLines: true });
  // A process outside our pid namespace is listed as 0, and kill(0) would signal our own group.
  return text === null ? null : text.split("\n").filter((l) => l !== "" && l !== "0").map(Number);
}

/** cgroup.procs texts already read, by cgroup directory. */
export type MemberLists = Map<string, number[] | null>;

/**
 * A map kept for the current synchronous run, forgotten at the next
 * microtask: nothing within one run can tell two reads of a kernel file
 * apart (processes come and go on the kernel's time, not ours).
 */
class RunMemo<K, V> {
  #map: Map<K, V> | null = null;

  /** This run's map, made (and its forgetting queued) on first use. */
  get map(): Map<K, V> {
    if (this.#map === null) {
      const map = new Map<K, V>();
      this.#map = map;
      queueMicrotask(() => {
        if (this.#map === map) this.#map = null;
      });
    }
    return this.#map;
  }

  /** Drops `key` from this run's map, if there is one. */
  forget(key: K): void {
    this.#map?.delete(key);
  }
}

/** cgroup.procs as read in the current synchronous run (see {@link memberList}). */
const readThisTurn = new RunMemo<string, number[] | null>();
/** The memo of {@link sharingMemberLists}, while its function runs. */
let sharedLists: MemberLists | null = null;

/**
 * Runs `fn` with `lists` as {@link memberList}'s memo: calls made in several
 * synchronous runs that make one answer (a status written a slice at a time,
 * which samples every group first and counts each group's members slice by
 * slice) read each cgroup once, and count what they measured.
 */
export function sharingMemberLists<T>(lists: MemberLists, fn: () => T): T {
  const outer = sharedLists;
  sharedLists = lists;
  try {
    return fn();
  } finally {
    sharedLists = outer;
  }
}

/**
 * Live members of a cgroup, or null when its cgroup.procs cannot be read;
 * read at most once per synchronous run. A status of N instances asks
 * each cgroup twice (the count it shows, then the members whose CPU and
 * memory it adds up), and at thousands of instances these reads were most
 * of its time. Nothing within one synchronous run can tell two reads apart
 * (processes come and go on the kernel's time, not ours), so the memo is
 * dropped at the next microtask. Signals and recovery read with
 * {@link members}, fresh each time.
 */
export function memberList(path: string): number[] | null {
  return readOnce(sharedLists ?? readThisTurn.map, path, readMembers);
}

/** `memo`'s entry for `key`, read (and kept) on the first ask. */
function readOnce<K, V>(memo: Map<K, V>, key: K, read: (key: K) => V): V {
  let value = memo.get(key);
  if (value === undefined) {
    value = read(key);
    memo.set(key, value);
  }
  return value;
}

/** Whether any live process is in the cgroup or below it. */
export function populated(path: string): boolean {
  // Two short lines: one read(2) has them all.
  const events = readKernelFile(`${path}/cgroup.events`, { shortLines: true });
  return events !== null && /^populated 1$/m.test(events);
}

/**
 * Sends `signal` to every member but those in process group `exceptGroup`
 * (the caller signals that group itself); returns how many were signalled.
 */
export function signalMembers(
  path: string,
  signal: Deno.Signal,
  exceptGroup: number | null = null,
): number {
  let sent = 0;
  for (const pid of members(path)) {
    // The group's leader (pid = pgid) needs no look at /proc.
    if (exceptGroup !== null && (pid === exceptGroup || groupOf(pid) === exceptGroup)) continue;
    // A failure: it exited since the list was read.
    if (sendSignal(pid, signal) === 0) sent++;
  }
  return sent;
}

/**
 * Removes an instance's cgroup if empty, then its program's if that is empty
 * too; on a worker thread, as the kernel waits for an RCU grace period.
 */
export async function release(path: string): Promise<void> {
  if (!await removeDirectoryInBackground(path)) return;
  await removeDirectoryInBackground(parentOf(path));
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

/** Field 5 of /proc/PID/stat (its process group), null when gone. */
function groupOf(pid: number): number | null {
  const stat = readKernelFile(`/proc/${pid}/stat`);
  if (stat === null) return null;
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

function isCgroup(path: string): boolean {
  return readKernelFile(`${path}/cgroup.type`) !== null ||
    readKernelFile(`${path}/cgroup.procs`) !== null;
}
