/**
 * A restart started by native code at the child's exit (issue 17), before
 * the daemon hears of it: native/restart_at_exit.c keeps a thread asleep on
 * a pidfd per armed instance and, when an armed child exits and the exit
 * restarts it at once (`restartOf` of exit_edges.ts: an exit in RUNNING
 * that autorestart restarts, not a crash within a second of the start),
 * starts the replacement there with the path, argv, environment, directory,
 * cgroup and umask of the last spawn. Through Deno's SIGCHLD, the sweep and
 * the main thread's spawn, the replacement was forked 1.4-1.8 ms after the
 * exit; a C loop waiting for its child takes 0.5 ms.
 *
 * The daemon does the rest as for a child started ahead of a restart
 * (instance_child.ts): it collects the old child, drains its pipes, logs
 * its exit, and its transition's spawn takes the replacement; anything that
 * comes first (a stop, a reload) kills it. An instance is armed only while
 * RUNNING, and only after it restarted once: what the arm keeps (the
 * argv and environment vectors, ~2-4 KB) is paid by instances that restart,
 * not by every instance (issue 17's memory per instance).
 *
 * @module
 */

import { openSharedObject } from "./shared_object.ts";
import { SHARED_OBJECT_X86_64 } from "./native_restart_code.ts";
import { type PosixChild, type SpawnVectors, stdinPipeName } from "./posix_spawn.ts";

const SYMBOLS = {
  tm_restart_arm: { parameters: ["buffer"], result: "i32" },
  tm_restart_disarm: { parameters: ["buffer"], result: "i32" },
  tm_restart_thread: { parameters: [], result: "i32" },
} as const;

/** `struct slot` of the C source. */
const SLOT_SIZE = 184;
const ARMED = 1;
const FIRED = 2;
const STREAM_MODES = { pipe: 0, null: 1, stdout: 2 } as const;

/** What to restart, and the rule that says when. */
export interface RestartPlan {
  /** The live child whose exit is watched. */
  readonly pid: number;
  readonly vectors: SpawnVectors;
  readonly autorestart: "always" | "unexpected";
  readonly exitcodes: readonly number[];
  /** An exit by itself or a crash sooner than this (ms from now) is left to the daemon. */
  readonly crashRestartInMs: number;
}

/** The replacement the native code started: what posix_spawn.ts returns for a child. */
export type RestartedChild = PosixChild;

/** One armed instance. */
export interface ArmedRestart {
  /**
   * No restart by the native code from now on; returns the replacement if
   * it started one already (the caller's from then on).
   */
  disarm(): RestartedChild | null;
  /** The native code saw the exit and decided (restarted it, or left it to the daemon). */
  readonly decided: boolean;
}

type Library = Deno.DynamicLibrary<typeof SYMBOLS>;

let library: Library | null | undefined;
/**
 * Slots no arm holds. Never freed: the C thread may hold an event naming a
 * slot just disarmed, and reads its state under its lock.
 */
const freeSlots: Slot[] = [];

/** Arms `plan`; null where the native code cannot (not x86_64 Linux, no pidfd_open, a gone cgroup). */
export function armRestart(plan: RestartPlan): ArmedRestart | null {
  // Tried once: where the load fails (glibc before 2.34: its pthread symbols), never again.
  if (library === undefined) {
    library = openSharedObject("taskmaster-restart", SHARED_OBJECT_X86_64, SYMBOLS);
  }
  if (library === null) return null;
  const slot = freeSlots.pop() ?? new Slot(library);
  if (slot.arm(plan)) return slot;
  freeSlots.push(slot);
  return null;
}

/**
 * The id of the native code's thread once it runs, else null: the children
 * it started are listed in /proc/self/task/TID/children (tests and
 * diagnostics tell its restarts from the main thread's by it).
 */
export function restartThreadId(): number | null {
  const tid = library?.symbols.tm_restart_thread() ?? 0;
  return tid > 0 ? tid : null;
}

class Slot implements ArmedRestart {
  readonly #library: Library;
  readonly #bytes = new Uint8Array(SLOT_SIZE);
  readonly #view = new DataView(this.#bytes.buffer);
  /** `slot.state`, written by the C thread. */
  readonly #state = new Int32Array(this.#bytes.buffer, 136, 1);
  /** The buffers the slot points at, alive while it is armed. */
  #vectors: SpawnVectors | null = null;

  constructor(library: Library) {
    this.#library = library;
  }

  arm(plan: RestartPlan): boolean {
    const v = this.#view;
    const { vectors } = plan;
    const pointer = (buffer: Uint8Array<ArrayBuffer> | null) =>
      buffer === null ? 0n : BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer)));
    this.#bytes.fill(0);
    v.setBigUint64(0, pointer(vectors.path), true);
    v.setBigUint64(8, pointer(vectors.argv), true);
    v.setBigUint64(16, pointer(vectors.envp), true);
    v.setBigUint64(24, pointer(vectors.cwd), true);
    v.setInt32(60, -1, true);
    v.setInt32(64, vectors.umask ?? -1, true);
    v.setBigUint64(72, pointer(vectors.cgroup), true);
    v.setInt32(80, plan.pid, true);
    v.setInt32(84, plan.autorestart === "always" ? 1 : 2, true);
    for (const code of plan.exitcodes) {
      if (code < 0 || code > 255) continue;
      const word = 88 + 8 * Math.floor(code / 64);
      v.setBigUint64(word, v.getBigUint64(word, true) | (1n << BigInt(code % 64)), true);
    }
    v.setBigInt64(120, BigInt(Math.max(0, Math.ceil(plan.crashRestartInMs))), true);
    v.setInt32(128, STREAM_MODES[vectors.stdout], true);
    v.setInt32(132, STREAM_MODES[vectors.stderr], true);
    v.setInt32(180, -1, true);
    this.#vectors = vectors;
    if (this.#library.symbols.tm_restart_arm(this.#bytes) === 0) return true;
    this.#vectors = null;
    return false;
  }

  get decided(): boolean {
    return Atomics.load(this.#state, 0) > ARMED;
  }

  disarm(): RestartedChild | null {
    const state = this.#library.symbols.tm_restart_disarm(this.#bytes);
    this.#vectors = null;
    freeSlots.push(this);
    if (state !== FIRED) return null;
    const v = this.#view;
    const fd = (at: number) => {
      const value = v.getInt32(at, true);
      return value < 0 ? null : value;
    };
    const before = v.getBigInt64(160, true);
    const after = v.getBigInt64(168, true);
    return {
      pid: v.getInt32(140, true),
      stdin: stdinPipeName(v.getBigUint64(152, true)),
      stdout: fd(144),
      stderr: fd(148),
      startTime: before >= 0n && before === after ? String(before) : null,
    };
  }
}
