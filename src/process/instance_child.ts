/**
 * The one child process an instance has at a time: its spawn (cgroup,
 * SUPERVISOR_* environment, one pipe for combined output), its stdin, the
 * relays of its output, and its exit, reported with what the state machine
 * needs to know (is anything of its group left?). Also the counts status
 * shows (restarts, expected and unexpected exits).
 *
 * Why apart from the runner: the runner decides when to spawn (its
 * transition says so); this is how, and what is held while a child lives.
 * It decides nothing about states.
 *
 * @module
 */

import { discardedStreams } from "../config/discarded_streams.ts";
import type { ProgramConfig } from "../config/types.ts";
import type { Leftovers } from "./leftovers.ts";
import { isCombined, type LiveChild, type RunnerPorts } from "./runner_deps.ts";
import { accountEnv, supervisorEnv } from "./spawn_spec.ts";
import type { ChildEndListener, ExitStatus, SpawnedChild, SpawnSpec } from "./spawner.ts";
import { type ArmedRestart, armRestart } from "./native_restart.ts";
import type { SpawnVectors } from "./posix_spawn.ts";

/**
 * How long after an instance is RUNNING its restart is armed: not while
 * the child it just started execs (two CPUs are shared with it).
 */
const ARM_DELAY_MS = 5;

/** How a child ended; `groupAlive`: members of its group or cgroup outlived it during a stop. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: string | null;
  readonly groupAlive: boolean;
}

/** A child started and not yet held (see {@link InstanceChild.spawn}). */
interface Started {
  readonly ok: true;
  readonly child: SpawnedChild;
  readonly cgroup: string | null;
  /** Collected already (a child started ahead of its restart that died before it was taken). */
  readonly reaped?: boolean;
  /** Started by the native code at the last child's exit (native_restart.ts). */
  readonly native?: boolean;
}

/** A child started ahead of a restart, with what it was started from. */
interface Prespawned extends Started {
  readonly cfg: ProgramConfig;
  readonly spec: SpawnSpec;
  /** It ended (and was collected) before a spawn took it. */
  ended: boolean;
  /** It was collected (its pipes maybe not yet drained): its pid may be another's soon. */
  reaped: boolean;
}

/** What the next child can be started from by the native code, as the last one was. */
interface RestartKept {
  readonly vectors: SpawnVectors;
  readonly cfg: ProgramConfig;
  readonly spec: SpawnSpec;
  readonly cgroup: string | null;
}

/** What the instance is told about the children it asked for. */
export interface ChildHooks {
  /** Whether the instance is STOPPING when the child exits (only a stop waits for its group). */
  childStopping(): boolean;
  /** Child `pid`, spawned in the instance's run `generation`, exited. */
  childExited(exit: ChildExit, pid: number, generation: number): void;
  /**
   * The live child of run `generation` was just reaped, as `status`; its
   * exit is reported (`childExited`) once its pipes are drained. An instance
   * that will restart it may {@link InstanceChild.prespawn} now.
   */
  childReaped(status: ExitStatus, generation: number): void;
  /** Logs a line about the instance. */
  log(level: "info" | "warning" | "error", message: string): void;
}

/**
 * An instance's live child, and its history in counts. It is told of its
 * child's end as a listener: a new child is spawned only once the last one's
 * end was reported, so the spawn's config and run are kept here, not in a
 * closure per child.
 */
export class InstanceChild implements ChildEndListener {
  readonly #deps: RunnerPorts;
  readonly #leftovers: Leftovers;
  readonly #hooks: ChildHooks;
  #child: SpawnedChild | null = null;
  #stdin: WritableStreamDefaultWriter<Uint8Array> | null = null;
  #live: LiveChild | null = null;
  /** The config and run the live child was spawned with. */
  #spawnedWith: ProgramConfig | null = null;
  #generation = 0;
  #spawns = 0;
  #expectedExits = 0;
  #unexpectedExits = 0;
  /** A child started as the last one was reaped, for the spawn its exit leads to. */
  #prespawned: Prespawned | null = null;
  /** Kept from the last spawn once the instance restarted: see native_restart.ts. */
  #restartKept: RestartKept | null = null;
  /** The native code's arm, and what it restarts from. */
  #armed: { readonly restart: ArmedRestart; readonly kept: RestartKept } | null = null;
  #armTimer: ReturnType<typeof setTimeout> | null = null;
  /** The live child was collected (its exit not yet reported): its pid may be another's soon. */
  #reaped = false;

  constructor(deps: RunnerPorts, leftovers: Leftovers, hooks: ChildHooks) {
    this.#deps = deps;
    this.#leftovers = leftovers;
    this.#hooks = hooks;
  }

  /**
   * Spawns instance `name` (number `index`) of `cfg` from `spec`, for the
   * instance's run `generation`. Returns its pid, or why it could not be
   * spawned; `childExited` follows, once, after the pid is returned. A child
   * {@link prespawn} started for this very spawn is taken instead.
   */
  spawn(
    cfg: ProgramConfig,
    instance: { name: string; index: number },
    spec: SpawnSpec,
    generation: number,
  ): { ok: true; pid: number } | { ok: false; reason: string } {
    const { name } = instance;
    const deps = this.#deps;
    const targets = deps.targets(cfg, name);
    this.#spawns++;
    const started = this.#takePrespawned(cfg, spec) ??
      this.#start(cfg, instance, spec, targets, { keep: this.#spawns >= 2 });
    if (!started.ok) return started;
    const { child, cgroup } = started;
    if (child.restartVectors !== undefined) {
      this.#restartKept = { vectors: child.restartVectors, cfg, spec, cgroup };
    } else if (started.native !== true) this.#restartKept = null;
    try {
      this.#child = child;
      this.#reaped = started.reaped === true;
      this.#spawnedWith = cfg;
      this.#generation = generation;
      if (cgroup !== null) this.#leftovers.adopt(cgroup);
      this.#live = { pid: child.pid, startTime: child.startTime ?? null, cgroup };
      deps.liveChanged?.("spawned");
      // Relays never reject; the output hub drains them at shutdown. Combined
      // output is one stream, relayed (and followed) under the stdout key.
      // A stream the child writes to /dev/null itself has no source.
      const { stdout, stderr } = child.output ?? child;
      if (stdout !== null) deps.output.relay(`${name}:stdout`, stdout, targets.stdout);
      if (stderr !== null) deps.output.relay(`${name}:stderr`, stderr, targets.stderr);
      child.onEnd(this);
    } catch (error) {
      // A defect of ours (the caller reports it as a failed start): the child
      // it started must not run on, untracked, while another is started.
      if (this.#child === child) this.#child = null;
      if (this.#live?.pid === child.pid) this.#live = null;
      this.#end(child);
      throw error;
    }
    return { ok: true, pid: child.pid };
  }

  /** Kills a started child nobody will hold, and lets its pipes go. */
  #end(child: SpawnedChild): void {
    try {
      this.#deps.os.signalGroup(child.pid, "SIGKILL");
    } catch { /* Gone already. */ }
    this.#releaseOutput(child);
  }

  #releaseOutput(child: SpawnedChild): void {
    const output = child.output;
    if (output !== undefined) {
      output.stdout?.release();
      output.stderr?.release();
    } else {
      child.stdout.cancel().catch(() => {});
      child.stderr?.cancel().catch(() => {});
    }
  }

  /** Starts the child in its cgroup; nothing of it is held here yet. */
  #start(
    cfg: ProgramConfig,
    instance: { name: string; index: number },
    spec: SpawnSpec,
    targets: ReturnType<RunnerPorts["targets"]>,
    { quiet = false, keep = false }: { quiet?: boolean; keep?: boolean } = {},
  ): Started | { ok: false; reason: string } {
    const { name, index } = instance;
    const deps = this.#deps;
    const cgroups = deps.cgroups ?? null;
    const cgroup = cgroups?.prepare(cfg.name, name, this.#leftovers.cgroup) ?? null;
    if (cgroups !== null && cgroup === null) {
      if (quiet) return { ok: false, reason: "no cgroup" };
      this.#hooks.log("warning", `couldn't create a cgroup for '${name}': process group only`);
    }
    const result = deps.spawner.spawn({
      ...spec,
      directOutput: true,
      cgroup,
      env: { ...supervisorEnv(deps.serverUrl, cfg.name, index, cfg.numprocs), ...accountEnv(cfg) },
      name,
      combineOutput: isCombined(targets),
      discard: discardedStreams(cfg),
      keepForRestart: keep,
    });
    if (!result.ok) {
      // prepare() made it; nothing entered it (unless survivors of an earlier run, kept).
      if (cgroups !== null && cgroup !== null && !cgroups.populated(cgroup)) {
        cgroups.release(cgroup);
      }
      return result;
    }
    return { ok: true, child: result.child, cgroup };
  }

  childReaped(child: SpawnedChild, status: ExitStatus): void {
    if (this.#child !== child) return;
    this.#reaped = true;
    try {
      // The native code may have started the next child already: it is held
      // now, in the sweep, before the sweep could collect its exit as an orphan's.
      const restarted = this.#disarm();
      if (restarted !== null) this.#prespawned = restarted;
      this.#hooks.childReaped(status, this.#generation);
    } catch (error) {
      // Called from the collector's sweep, which must go on: the exit's report spawns instead.
      this.#hooks.log("error", `the early restart after pid ${child.pid} failed: ${error}`);
    }
  }

  /**
   * Starts the next child now, as the last one was just reaped, for the
   * spawn its exit's report is about to ask for: that report waits for the
   * last child's pipes to be drained, its transition and log lines, which
   * kept a restart ~0.5 ms longer than the floor's (issue 17). The spawn
   * takes this child if nothing changed meanwhile (same config and spec);
   * otherwise it is ended ({@link discardPrespawned}).
   */
  prespawn(cfg: ProgramConfig, instance: { name: string; index: number }, spec: SpawnSpec): void {
    if (this.#prespawned !== null) return;
    const started = this.#start(cfg, instance, spec, this.#deps.targets(cfg, instance.name), {
      quiet: true,
      keep: true,
    });
    if (!started.ok) return; // The spawn tries again, and reports why it fails.
    // It is in the instance's cgroup now: a stop or a release must see it there.
    if (started.cgroup !== null) this.#leftovers.adopt(started.cgroup);
    const prespawned = { ...started, cfg, spec, ended: false, reaped: false };
    this.#prespawned = prespawned;
    // Told if it ends before a spawn takes it (whose own listener then replaces this one).
    started.child.onEnd(endOfPrespawned(prespawned));
  }

  /**
   * Lets the native code restart the live child at its exit (native_restart.ts),
   * as `cfg`'s autorestart would at once; a crash (an exit by itself, a crash
   * signal) sooner than `crashRestartInMs` from now is left to the
   * transition. Only for a child started natively after the instance's
   * first restart; the caller calls it while the instance is RUNNING.
   */
  armRestart(cfg: ProgramConfig, crashRestartInMs: number): void {
    const kept = this.#restartKept;
    const child = this.#child;
    if (
      kept === null || child === null || this.#reaped || kept.cfg !== cfg ||
      cfg.autorestart === "never" || this.#armed !== null || this.#armTimer !== null ||
      this.#prespawned !== null
    ) return;
    const crashRestartAt = performance.now() + crashRestartInMs;
    this.#armTimer = setTimeout(() => {
      this.#armTimer = null;
      // Collected since (childReaped clears this timer; a transition may have set it again).
      if (this.#child !== child || this.#reaped) return;
      const restart = armRestart({
        pid: child.pid,
        vectors: kept.vectors,
        autorestart: cfg.autorestart === "always" ? "always" : "unexpected",
        exitcodes: cfg.exitcodes,
        crashRestartInMs: crashRestartAt - performance.now(),
      });
      this.#armed = restart === null ? null : { restart, kept };
    }, ARM_DELAY_MS);
  }

  /**
   * No restart by the native code (the instance leaves RUNNING, a stop's
   * signal is about to be sent); a child it started already is killed.
   */
  disarmRestart(reason: string): void {
    const restarted = this.#disarm();
    if (restarted !== null) this.#discard(restarted, reason);
  }

  /**
   * Disarms, and lets go of what the native code would start from: the
   * instance stopped, gave up, or its config changed (the next spawn keeps
   * them again, from the config it is started with).
   */
  forgetRestart(reason: string): void {
    this.disarmRestart(reason);
    this.#restartKept = null;
  }

  /** Disarms; the child the native code started, held as started ahead of its restart. */
  #disarm(): Prespawned | null {
    if (this.#armTimer !== null) clearTimeout(this.#armTimer);
    this.#armTimer = null;
    const armed = this.#armed;
    if (armed === null) return null;
    this.#armed = null;
    const restarted = armed.restart.disarm();
    if (restarted === null) return null;
    const { kept } = armed;
    const child = this.#deps.spawner.adopt!(restarted);
    // In the instance's cgroup from its first instruction: a stop or a release must see it there.
    if (kept.cgroup !== null) this.#leftovers.adopt(kept.cgroup);
    const prespawned: Prespawned = {
      ok: true,
      child,
      cgroup: kept.cgroup,
      cfg: kept.cfg,
      spec: kept.spec,
      ended: false,
      reaped: false,
      native: true,
    };
    child.onEnd(endOfPrespawned(prespawned));
    return prespawned;
  }

  /** Whether a child {@link prespawn} started waits for its spawn. */
  get prespawned(): boolean {
    return this.#prespawned !== null;
  }

  /** The child {@link prespawn} started, if it was started for this spawn; else it is ended. */
  #takePrespawned(cfg: ProgramConfig, spec: SpawnSpec): Started | null {
    const prespawned = this.#prespawned;
    if (prespawned === null) return null;
    const same = prespawned.cfg === cfg && prespawned.spec.argv === spec.argv &&
      prespawned.spec.cwd === spec.cwd;
    if (!same) {
      this.discardPrespawned("the program changed");
      return null;
    }
    this.#prespawned = null;
    return prespawned;
  }

  /**
   * Ends the child {@link prespawn} started when no spawn took it, for
   * `reason` (a stop, a reload or an exit that does not restart came
   * first): its group is killed and its pipes closed; its exit is collected
   * and told nobody. What it may have left in the cgroup is the cgroup's
   * leftover, ended by the next stop or the shutdown.
   */
  discardPrespawned(reason: string): void {
    const prespawned = this.#prespawned;
    if (prespawned === null) return;
    this.#prespawned = null;
    this.#discard(prespawned, reason);
  }

  #discard(prespawned: Prespawned, reason: string): void {
    const { child } = prespawned;
    this.#hooks.log("info", `pid ${child.pid}, started ahead of a restart, killed: ${reason}`);
    // Once it ended, its pid (and group) may be another's.
    if (!prespawned.ended) this.#end(child);
    else this.#releaseOutput(child);
  }

  childEnded(child: SpawnedChild, status: ExitStatus): void {
    this.#reportEnd(child, status).catch((error) =>
      this.#hooks.log("error", `the end of pid ${child.pid} was not handled: ${error}`)
    );
  }

  async #reportEnd(child: SpawnedChild, status: ExitStatus): Promise<void> {
    const cfg = this.#spawnedWith!;
    const generation = this.#generation;
    // Not kept past its child: a reload's old config can go.
    this.#spawnedWith = null;
    const expected = status.code !== null && status.signal === null &&
      cfg.exitcodes.includes(status.code);
    if (expected) this.#expectedExits++;
    else this.#unexpectedExits++;
    if (this.#child === child) {
      this.#child = null;
      // A pipe never written is the spawner's to close (spawner.ts).
      this.#stdin?.close().catch(() => {});
      this.#stdin = null;
    }
    if (this.#live?.pid === child.pid) this.#live = null;
    const deps = this.#deps;
    deps.liveChanged?.("exited");
    // Only a stop waits for the rest of the group (and cgroup); other exits
    // move on at once, remembering a group that outlived its leader for shutdown.
    const stopping = this.#hooks.childStopping();
    // A stop came before this report: the child started ahead is not wanted.
    if (stopping) this.discardPrespawned("a stop came first");
    else this.#leftovers.noteExit(child.pid);
    const rest = stopping &&
      (await deps.groupAlive(child.pid) || this.#leftovers.populated());
    this.#hooks.childExited(
      { code: status.code, signal: status.signal, groupAlive: rest },
      child.pid,
      generation,
    );
  }

  /**
   * numprocs went from 1 to several or back (`web` ↔ `web:0`): the live
   * child's output follows the new name at once, default log file included.
   */
  rename(cfg: ProgramConfig, before: string, after: string): void {
    const targets = this.#deps.targets(cfg, after);
    for (const stream of ["stdout", "stderr"] as const) {
      this.#deps.output.retarget?.(`${before}:${stream}`, `${after}:${stream}`, targets[stream])
        .catch((e) => this.#hooks.log("error", `cannot move ${before}'s ${stream}: ${e}`));
    }
  }

  /** Writes to the live child's stdin; false when there is no live child. */
  async writeStdin(data: Uint8Array): Promise<boolean> {
    const child = this.#child;
    if (child === null) return false;
    if (this.#stdin === null) {
      // Taken on the first write: most instances are never written to.
      this.#stdin = child.stdin.getWriter();
      // The child may never read its stdin; a write to it must not hang us.
      this.#stdin.closed.catch(() => {});
    }
    await this.#stdin.write(data);
    return true;
  }

  /** The live child, for the state file; null when there is none. */
  get live(): LiveChild | null {
    return this.#live;
  }

  /** Restarts (spawns after the first) and exits since taskmaster started. */
  get counters(): { restarts: number; exits: { expected: number; unexpected: number } } {
    return {
      restarts: Math.max(0, this.#spawns - 1),
      exits: { expected: this.#expectedExits, unexpected: this.#unexpectedExits },
    };
  }
}

/**
 * Told of the end of a child started ahead of its restart until a spawn
 * takes it (whose own listener then replaces this one).
 */
function endOfPrespawned(prespawned: Prespawned): ChildEndListener {
  return {
    childReaped: () => void (prespawned.reaped = true),
    childEnded: () => void (prespawned.ended = true),
  };
}
