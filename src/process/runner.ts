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

import type { ProcessInfo, StateChange } from "../api/protocol.ts";
import type { ProcessState } from "./state.ts";
import type { ProgramConfig } from "../config/types.ts";
import type { Clock } from "../util/clock.ts";
import { describe } from "./describe.ts";
import type { GroupProbe, LeftoverGroup } from "./group.ts";
import type { ProcessOs } from "./process_os.ts";
import { accountEnv, spawnSpec, supervisorEnv } from "./spawn_spec.ts";
import type { SpawnedChild, Spawner, SpawnSpec } from "./spawner.ts";
import type { CgroupPort } from "./cgroups.ts";
import { transition } from "./transition.ts";
import {
  INITIAL_SNAPSHOT,
  type ProcessEffect,
  type ProcessEvent,
  type ProcessSnapshot,
  type TimerName,
  type TransitionResult,
} from "./snapshot.ts";

/** Where a stream's bytes go; the output pipeline's view from here. */
export interface StreamTarget {
  readonly path: string | null;
  readonly maxBytes: number;
  readonly backups: number;
  readonly timestamps: boolean;
  readonly flushPartialAfterMs: number;
}

/** The output pipeline, as the runner needs it. */
export interface OutputRelay {
  relay(key: string, stream: ReadableStream<Uint8Array>, target: StreamTarget): Promise<void>;
  /** Moves a running relay to a new key and file (an instance renamed by numprocs). */
  retarget?(key: string, newKey: string, target: StreamTarget): Promise<void>;
}

/**
 * Whether stdout and stderr name one file: the child then gets one pipe for
 * both (combined output is one stream, in the order the program wrote it).
 */
export function isCombined(targets: { stdout: StreamTarget; stderr: StreamTarget }): boolean {
  return targets.stdout.path !== null && targets.stdout.path === targets.stderr.path;
}

/** A log sink for events. */
export type EventLogger = (level: "info" | "warning" | "error", message: string) => void;

/** The runner's ports to the world. */
export interface RunnerDeps {
  readonly spawner: Spawner;
  readonly clock: Clock;
  readonly log: EventLogger;
  readonly output: OutputRelay;
  /** Destinations of this instance's stdout and stderr. */
  readonly targets: (config: ProgramConfig, name: string) => {
    stdout: StreamTarget;
    stderr: StreamTarget;
  };
  readonly onChange: (change: StateChange) => void;
  /** Whether a process group still has live members (after its leader exited). */
  readonly groupAlive: GroupProbe;
  /** Signals, group existence and stat: the runner's only other kernel calls. */
  readonly os: ProcessOs;
  /**
   * The control socket as `unix:///path`: when set, children get
   * supervisord's SUPERVISOR_* variables, so childutils and superlance work.
   */
  readonly serverUrl?: string;
  /** Instance cgroups, where the machine has them; absent: process groups only. */
  readonly cgroups?: CgroupPort | null;
  /** Told after every spawn and every exit of a child (the state file follows). */
  readonly liveChanged?: (change: "spawned" | "exited") => void;
}

/** A live child as the state file records it. */
export interface LiveChild {
  readonly pid: number;
  readonly startTime: string | null;
  readonly cgroup: string | null;
}

/** How often a group whose leader died during a stop is checked for emptiness. */
const GROUP_POLL_MS = 100;

/** One supervised process instance (`web` or `web:3`). */
export class ProcessRunner {
  readonly program: string;
  readonly index: number;
  #config: ProgramConfig;
  #deps: RunnerDeps;
  #snap: ProcessSnapshot = INITIAL_SNAPSHOT;
  #timers = new Map<TimerName, () => void>();
  #child: SpawnedChild | null = null;
  #stdin: WritableStreamDefaultWriter<Uint8Array> | null = null;
  #queue: ProcessEvent[] = [];
  #busy = false;
  #waiters = new Set<() => void>();
  /** Cancels the poll of a stopping group whose leader died; null when none runs. */
  #groupWatch: (() => void) | null = null;
  #leftovers = new Set<number>();
  #spawns = 0;
  #exits = { expected: 0, unexpected: 0 };
  #ready: boolean | null = null;
  #readyListeners = new Set<() => void>();
  #processListeners = new Set<() => void>();
  /** The cgroup of the current (or last) child while anything may be in it. */
  #cgroup: string | null = null;
  /** Cgroups of earlier runs that outlived their leader. */
  #leftoverCgroups = new Set<string>();
  #live: LiveChild | null = null;
  /** The process group already sent its stopsignal by {@link signalStopAhead}. */
  #signalledAhead: number | null = null;

  constructor(config: ProgramConfig, index: number, deps: RunnerDeps) {
    this.program = config.name;
    this.index = index;
    this.#config = config;
    this.#deps = deps;
  }

  /** Follows numprocs: `web` alone, `web:0` once there are several. */
  get name(): string {
    return instanceName(this.program, this.index, this.#config.numprocs);
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
    this.#config = config;
    if (this.name !== before) this.#rename(before);
    if (config.readiness === null) this.setReady(null);
    else if (this.#ready === null) this.setReady(false);
  }

  /**
   * numprocs went from 1 to several or back (`web` ↔ `web:0`): the live
   * child's output follows the new name at once, default log file included.
   */
  #rename(before: string): void {
    const targets = this.#deps.targets(this.#config, this.name);
    for (const stream of ["stdout", "stderr"] as const) {
      this.#deps.output.retarget?.(`${before}:${stream}`, `${this.name}:${stream}`, targets[stream])
        .catch((e) => this.#deps.log("error", `cannot move ${before}'s ${stream}: ${e}`));
    }
  }

  /**
   * Whether the readiness probe passes: null without a probe, else false
   * until the health monitor says otherwise (and again after every spawn).
   */
  get ready(): boolean | null {
    return this.#config.readiness === null ? null : this.#ready === true;
  }

  /** Set by the health monitor; listeners hear every change. */
  setReady(ready: boolean | null): void {
    if (this.#ready === ready) return;
    this.#ready = ready;
    for (const listener of [...this.#readyListeners]) listener();
  }

  /**
   * Subscribes to changes of the live process (a spawn, an exit) and of the
   * state; returns the unsubscribe function. The health monitor uses it.
   */
  onProcessChange(listener: () => void): () => void {
    this.#processListeners.add(listener);
    return () => this.#processListeners.delete(listener);
  }

  /** Subscribes to readiness changes; returns the unsubscribe function. */
  onReadyChange(listener: () => void): () => void {
    this.#readyListeners.add(listener);
    return () => this.#readyListeners.delete(listener);
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
    // A new process (or none) is not ready until its probe says so.
    if (before.generation !== result.next.generation || result.next.pid === null) {
      if (this.#ready === true) this.setReady(false);
    }
    this.#busy = true;
    try {
      this.#announceChange(before, result.next);
      for (const effect of result.effects) this.#execute(effect);
    } finally {
      this.#busy = false;
    }
    if (before.pid !== result.next.pid || before.state !== result.next.state) {
      for (const listener of [...this.#processListeners]) listener();
    }
    this.#drain();
  }

  #enqueue(event: ProcessEvent): void {
    this.#queue.push(event);
    if (!this.#busy) this.#drain();
  }

  // Effects can produce events (spawn → spawned): they run after the current one.
  #drain(): void {
    while (this.#queue.length > 0 && !this.#busy) this.dispatch(this.#queue.shift()!);
  }

  /**
   * Announces a state change. STARTING is announced once its pid is known
   * (the spawn that follows it), so watchers of `/v1/events` see which
   * process is starting; a spawn failure announces it without one.
   */
  #announceChange(before: ProcessSnapshot, next: ProcessSnapshot): void {
    const pendingFrom = this.#startingFrom;
    if (pendingFrom !== null && (next.pid !== null || next.state !== "STARTING")) {
      this.#startingFrom = null;
      this.#announce(pendingFrom, "STARTING", next.pid);
    }
    if (before.state === next.state) return;
    if (next.state === "STARTING" && next.pid === null) {
      this.#startingFrom = before.state;
      return;
    }
    this.#announce(before.state, next.state, next.pid);
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
    });
    if (!RUNNING_OR_STOPPING.has(this.#snap.state)) this.#releaseCgroup();
    for (const wake of [...this.#waiters]) wake();
  }

  // Once the instance is down, an empty cgroup goes; one with survivors is
  // kept for shutdown (or the next stop) to end.
  #releaseCgroup(): void {
    const cgroup = this.#cgroup;
    const cgroups = this.#deps.cgroups;
    if (cgroup === null || !cgroups) return;
    this.#cgroup = null;
    if (cgroups.populated(cgroup)) this.#leftoverCgroups.add(cgroup);
    else cgroups.release(cgroup);
  }

  #execute(effect: ProcessEffect): void {
    switch (effect.kind) {
      case "spawn":
        return this.#spawn();
      case "signalGroup":
        return this.#signal(effect.signal);
      case "schedule": {
        this.#timers.get(effect.timer)?.();
        const generation = this.#snap.generation;
        const cancel = this.#deps.clock.schedule(effect.at, () => {
          this.#timers.delete(effect.timer);
          this.#enqueue({ kind: "timer", timer: effect.timer, generation });
        });
        this.#timers.set(effect.timer, cancel);
        return;
      }
      case "cancel":
        this.#timers.get(effect.timer)?.();
        this.#timers.delete(effect.timer);
        return;
      case "watchGroup":
        return this.#watchGroup();
      case "log":
        return this.#deps.log(effect.level, effect.message);
    }
  }

  #spawn(): void {
    const cfg = this.#config;
    const targets = this.#deps.targets(cfg, this.name);
    this.#spawns++;
    const cgroup = this.#deps.cgroups?.prepare(this.program, this.name) ?? null;
    if (this.#deps.cgroups && cgroup === null) {
      this.#deps.log("warning", `couldn't create a cgroup for '${this.name}': process group only`);
    }
    const result = this.#deps.spawner.spawn({
      ...this.spawnSpec(),
      cgroup,
      env: {
        ...supervisorEnv(this.#deps.serverUrl, this.program, this.index, cfg.numprocs),
        ...accountEnv(cfg),
      },
      name: this.name,
      combineOutput: isCombined(targets),
    });
    if (!result.ok) {
      this.#enqueue({ kind: "spawnFailed", reason: result.reason });
      return;
    }
    const child = result.child;
    const generation = this.#snap.generation;
    this.#child = child;
    if (cgroup !== null) {
      // A survivor of an earlier run shares the cgroup: the next stop ends it too.
      this.#leftoverCgroups.delete(cgroup);
      this.#cgroup = cgroup;
    }
    this.#live = { pid: child.pid, startTime: child.startTime ?? null, cgroup };
    this.#deps.liveChanged?.("spawned");
    this.#stdin = child.stdin.getWriter();
    // The child may never read its stdin; a write to it must not hang us.
    this.#stdin.closed.catch(() => {});
    // Relays never reject; the output hub drains them at shutdown. Combined
    // output is one stream, relayed (and followed) under the stdout key.
    this.#deps.output.relay(`${this.name}:stdout`, child.stdout, targets.stdout);
    if (child.stderr !== null) {
      this.#deps.output.relay(`${this.name}:stderr`, child.stderr, targets.stderr);
    }
    child.status.then(async (status) => {
      const expected = status.code !== null && status.signal === null &&
        cfg.exitcodes.includes(status.code);
      this.#exits[expected ? "expected" : "unexpected"]++;
      if (this.#child === child) {
        this.#child = null;
        this.#stdin?.close().catch(() => {});
        this.#stdin = null;
      }
      if (this.#live?.pid === child.pid) this.#live = null;
      this.#deps.liveChanged?.("exited");
      // Only a stop waits for the rest of the group (and cgroup); other exits
      // move on at once, remembering a group that outlived its leader for shutdown.
      const stopping = this.#snap.state === "STOPPING";
      if (!stopping && this.#deps.os.groupExists(child.pid)) this.#leftovers.add(child.pid);
      const rest = stopping &&
        (await this.#deps.groupAlive(child.pid) || this.#cgroupPopulated());
      this.#enqueue({
        kind: "exited",
        generation,
        code: status.code,
        signal: status.signal,
        groupAlive: rest,
      });
    });
    this.#enqueue({ kind: "spawned", pid: child.pid });
  }

  /** How this instance's processes are spawned; `argv` for a probe run the same way. */
  spawnSpec(argv: readonly string[] = this.#config.argv): SpawnSpec {
    return spawnSpec(this.#config, (path) => this.#deps.os.isDirectory(path), argv);
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

  #cgroupPopulated(): boolean {
    return this.#cgroup !== null && (this.#deps.cgroups?.populated(this.#cgroup) ?? false);
  }

  /**
   * Sends the stopsignal to the live process group now, ahead of the `stop`
   * event that follows at once, which then does not send it again. A stop of
   * many instances sends every signal first, in a tight loop, and does the
   * bookkeeping (state changes, log lines, cgroup members) after: the
   * children start exiting meanwhile, as they would under a C supervisor.
   */
  signalStopAhead(): void {
    const { state, pid, pgid } = this.#snap;
    if ((state !== "RUNNING" && state !== "STARTING") || pid === null || pgid === null) return;
    try {
      this.#deps.os.signalGroup(pgid, this.#config.stopsignal);
    } catch {
      return; // EPERM: the stop event's own signal reports it.
    }
    this.#signalledAhead = pgid;
    // Only the stop dispatched in this same turn may count on it.
    queueMicrotask(() => this.#signalledAhead = null);
  }

  #signal(signal: Deno.Signal): void {
    // Members that left the process group (setsid) are still in the cgroup.
    const pgid = this.#snap.pgid;
    const ahead = this.#signalledAhead;
    this.#signalledAhead = null;
    if (this.#cgroup !== null) this.#deps.cgroups?.signal(this.#cgroup, signal, pgid);
    if (pgid === null) return;
    if (ahead === pgid && signal === this.#config.stopsignal) return;
    try {
      this.#deps.os.signalGroup(pgid, signal);
    } catch (error) {
      this.#deps.log(
        "error",
        `couldn't signal '${this.name}' (group ${pgid}) with ${signal}: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
  }

  // The leader died during a stop but its group (or cgroup) lives on: the
  // stop is over only once they are empty (or stoptime's SIGKILL ends them).
  // Polled every GROUP_POLL_MS on the injected clock; a slow probe is not
  // overlapped by the next tick.
  #watchGroup(): void {
    if (this.#groupWatch !== null) return;
    const pgid = this.#snap.pgid;
    const generation = this.#snap.generation;
    if (pgid === null) return;
    const clock = this.#deps.clock;
    let checking = false;
    const tick = async () => {
      this.#groupWatch = clock.schedule(clock.now() + GROUP_POLL_MS, tick);
      if (this.#snap.state !== "STOPPING" || this.#snap.generation !== generation) {
        return this.#stopGroupWatch();
      }
      if (checking) return;
      checking = true;
      const alive = await this.#deps.groupAlive(pgid) || this.#cgroupPopulated();
      checking = false;
      if (!alive && this.#groupWatch !== null) {
        this.#stopGroupWatch();
        this.#enqueue({ kind: "groupGone", generation });
      }
    };
    this.#groupWatch = clock.schedule(clock.now() + GROUP_POLL_MS, tick);
  }

  #stopGroupWatch(): void {
    this.#groupWatch?.();
    this.#groupWatch = null;
  }

  /** Resolves once `done(snapshot)` holds (checked now and after every state change). */
  waitFor(
    done: (snap: ProcessSnapshot) => boolean,
    signal?: AbortSignal,
  ): Promise<ProcessSnapshot> {
    if (done(this.#snap) || signal?.aborted) return Promise.resolve(this.#snap);
    return new Promise((resolve) => {
      const finish = () => {
        this.#waiters.delete(wake);
        signal?.removeEventListener("abort", finish);
        resolve(this.#snap);
      };
      const wake = () => {
        if (done(this.#snap)) finish();
      };
      this.#waiters.add(wake);
      // Aborted: resolves with the snapshot as it is then.
      signal?.addEventListener("abort", finish);
    });
  }

  /** Writes to the live child's stdin; false when there is no live child. */
  async writeStdin(data: Uint8Array): Promise<boolean> {
    const writer = this.#stdin;
    if (writer === null) return false;
    await writer.write(data);
    return true;
  }

  /** Groups of earlier runs that outlived their leader and still exist. */
  leftoverGroups(): LeftoverGroup[] {
    for (const pgid of this.#leftovers) {
      if (!this.#deps.os.groupExists(pgid)) this.#leftovers.delete(pgid);
    }
    return [...this.#leftovers].map((pgid) => ({
      pgid,
      signal: this.#config.stopsignal,
      stoptimeMs: this.#config.stoptime * 1000,
    }));
  }

  /** Cgroups of earlier runs with processes still in them. */
  leftoverCgroups(): { cgroup: string; signal: Deno.Signal; stoptimeMs: number }[] {
    const cgroups = this.#deps.cgroups;
    if (!cgroups) return [];
    for (const cgroup of this.#leftoverCgroups) {
      if (!cgroups.populated(cgroup)) {
        cgroups.release(cgroup);
        this.#leftoverCgroups.delete(cgroup);
      }
    }
    return [...this.#leftoverCgroups].map((cgroup) => ({
      cgroup,
      signal: this.#config.stopsignal,
      stoptimeMs: this.#config.stoptime * 1000,
    }));
  }

  /** The cgroup of the current (or stopping) child, null without one. */
  get cgroup(): string | null {
    return this.#cgroup;
  }

  /** The live child, for the state file; null when there is none. */
  get liveChild(): LiveChild | null {
    return this.#live;
  }

  /** Cancels timers (used when the instance is forgotten). */
  dispose(): void {
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
    this.#stopGroupWatch();
    for (const wake of [...this.#waiters]) wake();
  }

  /** Restarts (spawns after the first) and exits since taskmaster started. */
  get counters(): { restarts: number; exits: { expected: number; unexpected: number } } {
    return { restarts: Math.max(0, this.#spawns - 1), exits: { ...this.#exits } };
  }

  /** A snapshot for status. */
  info(): ProcessInfo {
    const s = this.#snap;
    const now = this.#deps.clock.now();
    const live = s.pid !== null;
    const uptime = live && s.startedAt !== null ? Math.max(0, (now - s.startedAt) / 1000) : null;
    const targets = this.#deps.targets(this.#config, this.name);
    // Once the program is down, a cgroup its survivors still hold is shown
    // (they are ended at the next stop or at shutdown).
    const shown = this.#cgroup ?? this.#leftoverCgroups.values().next().value ?? null;
    return {
      name: this.name,
      program: this.program,
      index: this.index,
      state: s.state,
      pid: s.pid,
      exitcode: s.exitcode,
      signal: s.signal,
      uptime: uptime === null ? null : Math.floor(uptime),
      spawnerr: s.spawnerr,
      description: describe(s, uptime, this.ready),
      startedAt: s.startedAt,
      stoppedAt: s.stoppedAt,
      stdout: targets.stdout.path,
      stderr: targets.stderr.path,
      cpu_percent: 0,
      rss_bytes: 0,
      restarts: Math.max(0, this.#spawns - 1),
      started_at: s.startedAt === null ? null : s.startedAt / 1000,
      waiting_for: s.waitingFor,
      blocked_by: s.blockedBy,
      ready: this.ready,
      restart_reason: s.lastHealthRestart,
      cgroup: shown,
      processes: shown === null ? null : this.#deps.cgroups?.count(shown) ?? null,
    };
  }
}

const RUNNING_OR_STOPPING = new Set<ProcessState>(["STARTING", "RUNNING", "STOPPING"]);

/** `web` when there is one instance, `web:0` … `web:N-1` otherwise. */
export function instanceName(program: string, index: number, numprocs: number): string {
  return numprocs === 1 ? program : `${program}:${index}`;
}
