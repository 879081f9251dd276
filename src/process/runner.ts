/**
 * Runs one process instance: holds its snapshot, feeds events through the
 * pure {@link transition}, and is the only place that executes effects
 * (spawn, signal, timers, logs). Reaches the OS only through its ports:
 * the spawner, the {@link ProcessOs} (signals, group probes, stat), the
 * clock (every wait and poll), the output relay and the cgroup port, so a
 * unit test drives it with fakes and no real pid is ever signalled.
 *
 * Why it is shaped this way: every decision lives in the pure transition
 * table; the runner only turns effects into calls and call outcomes (a
 * spawn, an exit, a timer) back into events. Events raised while effects run
 * are queued and fed after the current transition, so a transition never
 * re-enters itself (a spawn failure inside a `start` is its own event).
 *
 * @module
 */

import type { ProcessInfo } from "../api/protocol.ts";
import type { ProcessState } from "./state.ts";
import type { ProgramConfig } from "../config/types.ts";
import type { LeftoverGroup } from "./group.ts";
import { spawnSpec } from "./spawn_spec.ts";
import type { SpawnSpec } from "./spawner.ts";
import { transition } from "./transition.ts";
import { MIN_RESTART_INTERVAL_MS, restartOf } from "./exit_edges.ts";
import type { LiveChild, RunnerDeps } from "./runner_deps.ts";
import { EffectExecutor } from "./effect_executor.ts";
import type { LeftoverCgroup } from "./leftovers.ts";
import { instanceInfo } from "./instance_info.ts";
import { announcements } from "./announcements.ts";
import { Readiness } from "./readiness.ts";
import {
  INITIAL_SNAPSHOT,
  type ProcessEvent,
  type ProcessSnapshot,
  type TransitionResult,
} from "./snapshot.ts";

/** One supervised process instance (`web` or `web:3`). */
export class ProcessRunner {
  readonly program: string;
  readonly index: number;
  #config: ProgramConfig;
  #deps: RunnerDeps<ProcessRunner>;
  #snap: ProcessSnapshot = INITIAL_SNAPSHOT;
  #effects: EffectExecutor;
  #queue: ProcessEvent[] = [];
  #busy = false;
  /** Made by the first waitFor(): most instances are never waited for. */
  #waiters: Set<() => void> | null = null;
  #readiness = new Readiness();
  /** Made by the first onProcessChange(): only instances with health checks have one. */
  #processListeners: Set<() => void> | null = null;
  /** Kept, not built per read: a status of thousands of instances reads it several times each. */
  #name: string;

  constructor(config: ProgramConfig, index: number, deps: RunnerDeps<ProcessRunner>) {
    this.program = config.name;
    this.index = index;
    this.#config = config;
    this.#name = instanceName(config.name, index, config.numprocs);
    this.#deps = deps;
    this.#effects = new EffectExecutor(this, deps);
  }

  /** Follows numprocs: `web` alone, `web:0` once there are several. */
  get name(): string {
    return this.#name;
  }

  get snapshot(): ProcessSnapshot {
    return this.#snap;
  }

  get state(): ProcessState {
    return this.#snap.state;
  }

  get config(): ProgramConfig {
    return this.#config;
  }

  /** Takes new monitoring options (autorestart, exitcodes, stoptime…) without a restart. */
  updateConfig(config: ProgramConfig): void {
    const before = this.name;
    // The native code's rule (autorestart, exitcodes) was the old config's.
    this.#effects.child.forgetRestart("the program changed");
    this.#config = config;
    this.#name = instanceName(this.program, this.index, config.numprocs);
    if (this.name !== before) this.#effects.child.rename(config, before, this.name);
    if (config.readiness === null) this.setReady(null);
    else if (this.#readiness.value === null) this.setReady(false);
  }

  /**
   * Whether the readiness probe passes: null without a probe, else false
   * until the health monitor says otherwise (and again after every spawn).
   */
  get ready(): boolean | null {
    return this.#config.readiness === null ? null : this.#readiness.value === true;
  }

  /** Set by the health monitor; listeners hear every change. */
  setReady(ready: boolean | null): void {
    this.#readiness.set(ready);
  }

  /**
   * Subscribes to changes of the live process (a spawn, an exit) and of the
   * state; returns the unsubscribe function. The health monitor uses it.
   */
  onProcessChange(listener: () => void): () => void {
    const listeners = this.#processListeners ??= new Set();
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** Subscribes to readiness changes; returns the unsubscribe function. */
  onReadyChange(listener: () => void): () => void {
    return this.#readiness.onChange(listener);
  }

  /** Feeds one event; returns the transition (with `rejected` for an illegal one). */
  dispatch(event: ProcessEvent): TransitionResult {
    const result = transition(
      this.#snap,
      event,
      this.#config,
      this.name,
      this.#deps.clock.now(),
    );
    if (result.rejected === undefined) this.#apply(result);
    return result;
  }

  #apply(result: TransitionResult): void {
    if (this.#busy) {
      throw new Error("ProcessRunner: re-entrant transition");
    }
    const before = this.#snap;
    this.#snap = result.next;
    // Before the effects: a stop's signal must not find the native code armed (native_restart.ts).
    const state = result.next.state;
    if (state !== "RUNNING") {
      const reason = state === "STOPPING" ? "a stop came first" : "no restart";
      // Stopped, exited for good (or to restart later) or given up: what a restart
      // would start from is not kept (a later spawn keeps it again).
      if (state === "STOPPED" || state === "FATAL" || state === "EXITED") {
        this.#effects.child.forgetRestart(reason);
      } else this.#effects.child.disarmRestart(reason);
    }
    // A new process (or none) is not ready until its probe says so.
    if (before.generation !== result.next.generation || result.next.pid === null) {
      if (this.#readiness.value === true) this.setReady(false);
    }
    this.#busy = true;
    try {
      this.#announceChange(before, result.next);
      for (const effect of result.effects) this.#effects.execute(effect);
    } finally {
      this.#busy = false;
    }
    const listeners = this.#processListeners;
    if (
      listeners !== null && (before.pid !== result.next.pid || before.state !== result.next.state)
    ) {
      for (const listener of [...listeners]) listener();
    }
    this.#drain();
    this.#armRestart();
  }

  /** RUNNING, with nothing queued: the native code may restart the child at its exit. */
  #armRestart(): void {
    const snap = this.#snap;
    if (snap.state !== "RUNNING" || this.#busy || this.#queue.length > 0) return;
    const now = this.#deps.clock.now();
    const crashRestartAt = (snap.startedAt ?? now) + MIN_RESTART_INTERVAL_MS;
    this.#effects.child.armRestart(this.#config, crashRestartAt - now);
  }

  /** Takes an event an effect's outcome made: fed after the one being handled. */
  enqueue(event: ProcessEvent): void {
    this.#queue.push(event);
    if (!this.#busy) this.#drain();
  }

  /** Logs a line about this instance. */
  log(level: "info" | "warning" | "error", message: string): void {
    this.#deps.log(level, message, this);
  }

  // Effects can produce events (spawn → spawned): they run after the current one.
  #drain(): void {
    while (this.#queue.length > 0 && !this.#busy) this.dispatch(this.#queue.shift()!);
  }

  // STARTING is announced once its pid is known (announcements.ts).
  #announceChange(before: ProcessSnapshot, next: ProcessSnapshot): void {
    const { announce, held } = announcements(this.#startingFrom, before, next);
    this.#startingFrom = held;
    for (const { from, to, pid } of announce) this.#announce(from, to, pid);
  }

  /** The state a STARTING not yet announced came from. */
  #startingFrom: ProcessState | null = null;

  #announce(from: ProcessState, to: ProcessState, pid: number | null): void {
    this.#deps.onChange({
      name: this.name,
      program: this.program,
      from,
      to,
      pid,
      at: this.#deps.clock.now(),
    }, this);
    if (!RUNNING_OR_STOPPING.has(this.#snap.state)) this.#effects.leftovers.release();
    this.#wakeWaiters();
  }

  /** How this instance's processes are spawned; `argv` for a probe run the same way. */
  spawnSpec(argv: readonly string[] = this.#config.argv): SpawnSpec {
    return spawnSpec(this.#config, (path) => this.#deps.os.isDirectory(path), argv);
  }

  respawnsOnExit(
    exit: { code: number | null; signal: string | null; generation: number },
  ): boolean {
    const snap = this.#snap;
    // What the transition does with an exit in RUNNING (exit_edges.ts), its one rule.
    return snap.state === "RUNNING" && exit.generation === snap.generation && !this.#busy &&
      this.#queue.length === 0 &&
      restartOf(snap, exit, this.#config, this.#deps.clock.now()) === "now";
  }

  /**
   * Sends `signal` to the main process alone (supervisorctl's `signal`; a
   * stop signals the whole group). Returns null once sent, else why not.
   */
  signalProcess(signal: Deno.Signal): string | null {
    const pid = this.#snap.pid;
    if (pid === null) return `${this.name} is not running`;
    try {
      this.#deps.os.kill(pid, signal);
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /**
   * Sends the stopsignal to the live process group now, ahead of the `stop`
   * event that follows at once, which then does not send it again: a stop of
   * many instances sends every signal first (group_signaller.ts).
   */
  signalStopAhead(): void {
    this.#effects.signalStopAhead();
  }

  /** Resolves once `done(snapshot)` holds (checked now and after every state change). */
  waitFor(
    done: (snap: ProcessSnapshot) => boolean,
    signal?: AbortSignal,
  ): Promise<ProcessSnapshot> {
    if (done(this.#snap) || signal?.aborted) return Promise.resolve(this.#snap);
    return new Promise((resolve) => {
      const finish = () => {
        this.#waiters?.delete(wake);
        signal?.removeEventListener("abort", finish);
        resolve(this.#snap);
      };
      const wake = () => {
        if (done(this.#snap)) finish();
      };
      (this.#waiters ??= new Set()).add(wake);
      // Aborted: resolves with the snapshot as it is then.
      signal?.addEventListener("abort", finish);
    });
  }

  /** Writes to the live child's stdin; false when there is no live child. */
  writeStdin(data: Uint8Array): Promise<boolean> {
    return this.#effects.child.writeStdin(data);
  }

  /** Groups of earlier runs that outlived their leader and still exist. */
  leftoverGroups(): LeftoverGroup[] {
    return this.#effects.leftovers.groups(this.#stopTerms());
  }

  /** Cgroups of earlier runs with processes still in them. */
  leftoverCgroups(): LeftoverCgroup[] {
    return this.#effects.leftovers.cgroupsLeft(this.#stopTerms());
  }

  #stopTerms(): { signal: Deno.Signal; stoptimeMs: number } {
    return { signal: this.#config.stopsignal, stoptimeMs: this.#config.stoptime * 1000 };
  }

  /** The cgroup of the current (or stopping) child, null without one. */
  get cgroup(): string | null {
    return this.#effects.leftovers.cgroup;
  }

  /** The live child, for the state file; null when there is none. */
  get liveChild(): LiveChild | null {
    return this.#effects.child.live;
  }

  /** Cancels timers (used when the instance is forgotten). */
  dispose(): void {
    this.#effects.dispose();
    this.#wakeWaiters();
  }

  #wakeWaiters(): void {
    if (this.#waiters === null) return;
    for (const wake of [...this.#waiters]) wake();
  }

  /** Restarts (spawns after the first) and exits since taskmaster started. */
  get counters(): { restarts: number; exits: { expected: number; unexpected: number } } {
    return this.#effects.child.counters;
  }

  /** A snapshot for status. */
  info(): ProcessInfo {
    return instanceInfo({
      name: this.name,
      program: this.program,
      index: this.index,
      snapshot: this.#snap,
      now: this.#deps.clock.now(),
      ready: this.ready,
      restarts: this.counters.restarts,
      targets: this.#deps.targets(this.#config, this.name),
      cgroup: this.#effects.leftovers.shown(),
    });
  }
}

const RUNNING_OR_STOPPING = new Set<ProcessState>(["STARTING", "RUNNING", "STOPPING"]);

/** `web` when there is one instance, `web:0` … `web:N-1` otherwise. */
function instanceName(program: string, index: number, numprocs: number): string {
  return numprocs === 1 ? program : `${program}:${index}`;
}
