/**
 * `taskmaster.state`: what a taskmaster that dies without cleaning up
 * (SIGKILL, the OOM killer) leaves for the next one. Per live instance its
 * name, pid, process group and start time (with the pid, proof that a
 * process is still the one we started), its cgroup and how to stop it. It is
 * rewritten atomically (write a temp file, swap it in) after spawns and exits; a
 * burst of spawns in one event-loop turn is written at most every
 * {@link COALESCE_MS} and once at the end of the turn; exits within
 * {@link EXIT_COALESCE_MS}. A big file is written less often (see
 * {@link WRITE_SHARE}).
 *
 * @module
 */

import { type Clock, systemClock } from "../util/clock.ts";
import { AT_FDCWD, cString, libc } from "../process/libc.ts";

/** One live instance, as the next taskmaster needs it to stop it. */
export interface InstanceRecord {
  readonly name: string;
  readonly pid: number;
  readonly pgid: number;
  /** Field 22 of /proc/PID/stat at spawn; null when it could not be read. */
  readonly startTime: string | null;
  readonly cgroup: string | null;
  readonly stopsignal: Deno.Signal;
  /** Seconds between stopsignal and SIGKILL. */
  readonly stoptime: number;
}

/** The whole file. */
export interface DaemonState {
  readonly version: 1;
  /** The taskmaster that wrote it: alive means hands off. */
  readonly daemon: {
    readonly pid: number;
    readonly startTime: string | null;
    /**
     * Its /proc/PID/cmdline: a fork of it that had not exec'd yet when it
     * died still shows this (the next taskmaster waits for those to exec).
     */
    readonly cmdline?: string;
  };
  /** Where its instance cgroups are (`<cgroupRoot>/<program>/<instance>`), or null. */
  readonly cgroupRoot: string | null;
  /**
   * The SUPERVISOR_SERVER_URL its children carry: how the next taskmaster
   * finds a child the file does not list yet (a spawn under way at the kill).
   */
  readonly serverUrl?: string;
  readonly instances: readonly InstanceRecord[];
}

/** Longest a state change waits for the file during a burst of spawns. */
export const COALESCE_MS = 20;
/**
 * Longest an exit waits for the file. A record outliving its process is
 * harmless (the next taskmaster finds the pid gone, or reused with another
 * start time), so exits are written in batches, off a stop's busiest moment.
 */
export const EXIT_COALESCE_MS = 100;

/**
 * The most of a burst's time that writing the file may take. Each write
 * holds every live instance, so at thousands of instances one takes tens of
 * milliseconds; written after every spawn, a launch of 1,000 spent a fifth
 * of its time here, and the share grew with the count. So after a write
 * that took W ms the next waits until W / WRITE_SHARE ms have passed. What
 * a later write has not recorded yet, recovery still finds: every child
 * carries SUPERVISOR_SERVER_URL and sits in the cgroup root (recovery.ts).
 */
export const WRITE_SHARE = 0.1;

/** Reads a state file: null when there is none; a reason when it cannot be used. */
export function readStateFile(path: string): DaemonState | null | { error: string } {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    return { error: error instanceof Error ? error.message : String(error) };
  }
  try {
    const state = JSON.parse(text) as DaemonState;
    if (state?.version !== 1 || !Array.isArray(state.instances)) {
      return { error: "not a taskmaster state file (version 1)" };
    }
    return state;
  } catch {
    return { error: "not valid JSON" };
  }
}

/**
 * Writes `state` to `path` atomically: a temp file, then swapped in. Not
 * fsync'd: the file is for a taskmaster that dies (SIGKILL, the OOM
 * killer), whose page cache survives it; a power loss ends the programs
 * too, and a file it left torn is ignored with a warning. An fsync held
 * the event loop for up to tens of ms on each write (a launch of 1,000
 * writes it dozens of times).
 */
export function writeStateFile(path: string, state: DaemonState): void {
  const temp = `${path}.tmp`;
  const bytes = new TextEncoder().encode(`${JSON.stringify(state)}\n`);
  const file = Deno.openSync(temp, { write: true, create: true, truncate: true, mode: 0o600 });
  try {
    let written = 0;
    while (written < bytes.byteLength) written += file.writeSync(bytes.subarray(written));
  } finally {
    file.close();
  }
  replaceWith(path, temp);
}

const RENAME_EXCHANGE = 2;

/**
 * How each state file this process wrote is replaced: `swap` once written
 * (its place is a file of ours), `rename` from a failed swap on.
 */
const replacements = new Map<string, "swap" | "rename">();

/**
 * Puts `temp` in `path`'s place, atomically: the file exists at every
 * moment. A rename over an existing file makes ext4 (`auto_da_alloc`) start
 * writing the renamed file back at once, ~0.2 ms of the main thread after
 * every spawn; swapping the two (`renameat2(RENAME_EXCHANGE)`) then
 * removing the old copy does not (~0.06 ms). Only a file this process wrote
 * is swapped with (the kernel would swap a directory too, where the rename
 * fails with EISDIR): the first write takes the rename, and so does every
 * write after a swap failed (a file system that cannot swap).
 * A daemon has one state file; the map stays small.
 */
function replaceWith(path: string, temp: string): void {
  const exchange = libc()?.symbols.renameat2 ?? null;
  if (exchange !== null && replacements.get(path) === "swap") {
    if (exchange(AT_FDCWD, cString(temp), AT_FDCWD, cString(path), RENAME_EXCHANGE) === 0) {
      try {
        Deno.removeSync(temp); // the previous state
      } catch {
        // Left behind: the next write truncates it.
      }
      return;
    }
    replacements.set(path, "rename");
  }
  Deno.renameSync(temp, path);
  if (exchange !== null && !replacements.has(path)) replacements.set(path, "swap");
}

/** Keeps the state file current; `snapshot` says what is live right now. */
export class StateKeeper {
  #path: string;
  #snapshot: () => DaemonState;
  #onError: (message: string) => void;
  #lastWrite = 0;
  /** How long the last write took. */
  #writeMs = 0;
  #pending = false;
  /** Cancels the pending timed write (exits, or spawns while the file is big). */
  #soon: (() => void) | null = null;
  #soonAt = Infinity;
  /** An exit not written yet; a microtask will time its write. */
  #exitUnwritten = false;
  #exitQueued = false;
  #closed = false;
  #clock: Clock;

  constructor(
    path: string,
    snapshot: () => DaemonState,
    onError: (message: string) => void,
    clock: Clock = systemClock,
  ) {
    this.#path = path;
    this.#snapshot = snapshot;
    this.#onError = onError;
    this.#clock = clock;
  }

  get path(): string {
    return this.#path;
  }

  /** Something was spawned or exited: write now, or at the end of this turn. */
  changed(): void {
    if (this.#closed) return;
    const gap = this.#gap();
    if (this.#clock.now() - this.#lastWrite >= gap) {
      this.write();
      return;
    }
    if (gap > COALESCE_MS) {
      this.#writeAt(this.#lastWrite + gap);
      return;
    }
    if (this.#pending) return;
    this.#pending = true;
    queueMicrotask(() => {
      this.#pending = false;
      this.write();
    });
  }

  /**
   * Something exited: written within {@link EXIT_COALESCE_MS}, with whatever
   * else changed. Timed at the end of the turn, not now: a restart spawns in
   * the same turn, and its spawn writes the file at once with this exit in
   * it, with no timer armed and cleared before the spawn (~0.08 ms).
   */
  changedSoon(): void {
    if (this.#closed) return;
    this.#exitUnwritten = true;
    if (this.#exitQueued) return;
    this.#exitQueued = true;
    queueMicrotask(() => {
      this.#exitQueued = false;
      if (this.#closed || !this.#exitUnwritten) return;
      this.#writeAt(
        Math.max(this.#clock.now() + EXIT_COALESCE_MS, this.#lastWrite + this.#gap()),
      );
    });
  }

  /** The least time between two writes: the last one's duration / {@link WRITE_SHARE}. */
  #gap(): number {
    return Math.max(COALESCE_MS, this.#writeMs / WRITE_SHARE);
  }

  /** A write at `at`, unless one is already due by then. */
  #writeAt(at: number): void {
    if (this.#soon !== null && this.#soonAt <= at) return;
    this.#soon?.();
    this.#soonAt = at;
    this.#soon = this.#clock.schedule(at, () => {
      this.#soon = null;
      this.#soonAt = Infinity;
      this.write();
    });
  }

  /** Writes the file now. */
  write(): void {
    this.#soon?.();
    this.#soon = null;
    this.#soonAt = Infinity;
    if (this.#closed) return;
    this.#exitUnwritten = false;
    const started = this.#clock.now();
    try {
      writeStateFile(this.#path, this.#snapshot());
    } catch (error) {
      this.#onError(
        `cannot write state file ${this.#path}: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
    this.#lastWrite = this.#clock.now();
    this.#writeMs = this.#lastWrite - started;
  }

  /** After a clean shutdown nothing is live: the file goes. */
  remove(): void {
    this.#closed = true;
    this.#soon?.();
    this.#soon = null;
    // Gone: a later write takes the rename first again (a failed swap is remembered).
    if (replacements.get(this.#path) === "swap") replacements.delete(this.#path);
    for (const path of [this.#path, `${this.#path}.tmp`]) {
      try {
        Deno.removeSync(path);
      } catch {
        // Never written, or already gone.
      }
    }
  }
}
