/**
 * All supervised programs and their instances: name resolution, the
 * start/stop/restart/signal commands with supervisorctl's waiting rules,
 * launch, reload (a per-program diff, applied atomically) and shutdown.
 *
 * Why it is shaped this way:
 * - Commands take a shared lock and reload an exclusive one (RwLock): a
 *   reload never sees a half-applied command, and commands run side by side.
 * - Every start goes through the dependency gate (dependency_gate.ts), so
 *   launch, reload, restart and a user's start obey it alike; the gate is
 *   re-judged in a microtask after any state or readiness change, never
 *   inside a transition (a runner's transition must not re-enter another's).
 * - What a reload does is decided up front by the pure plan
 *   (reload_plan.ts) from the states before anything moves; reload.ts
 *   applies it, so the rules are tested without processes.
 * - Waiting rules and stop ordering live in actions.ts; names and the
 *   program table in programs.ts; how a runner is wired (history, health,
 *   listeners) in runner_factory.ts. OS calls stay in the runners' ports
 *   (`signal` goes through runner.signalProcess).
 *
 * @module
 */

import type {
  ActionOptions,
  ActionResult,
  ProcessInfo,
  ReloadReport,
  StateChange,
} from "../api/protocol.ts";
import { TaskmasterError } from "../util/errors.ts";
import { planReload, reloadReport } from "./reload_plan.ts";
import { type DependencyGraph, stopWaves } from "../config/dependency_graph.ts";
import { explain } from "./why.ts";
import type { HealthEvent } from "../health/monitor.ts";
import type { ProgramConfig, TaskmasterConfig } from "../config/types.ts";
import type { ProcessRunner } from "../process/runner.ts";
import type { LiveChild } from "../process/runner_deps.ts";
import { launchInSlices } from "./launch.ts";
import { RwLock } from "../util/rw_lock.ts";
import {
  restartInOrder,
  type SignalBurst,
  signalEach,
  startAll,
  stopInOrder,
  stopInWaves,
  stopLeftovers,
} from "./actions.ts";
import { parseSignal } from "../config/values.ts";
import { ProgramTable } from "./programs.ts";
import { DependencyGate } from "./dependency_gate.ts";
import { RunnerFactory, type SupervisorDeps } from "./runner_factory.ts";
import { addProgram, applyReload, type ReloadHost, startAdded } from "./reload.ts";

/** Supervises every program of a configuration. */
export class Supervisor {
  #config: TaskmasterConfig;
  #deps: SupervisorDeps;
  /** A stop's stopsignals, unpreempted by the programs they wake where the OS port can. */
  readonly #signalBurst: SignalBurst = (send) => this.#deps.os.signalBurst(send);
  #programs = new ProgramTable();
  #lock = new RwLock();
  #shuttingDown = false;
  #gate = new DependencyGate(this.#programs, () => this.#shuttingDown);
  #runners: RunnerFactory;
  #reload: ReloadHost;

  constructor(config: TaskmasterConfig, deps: SupervisorDeps) {
    this.#config = config;
    this.#deps = deps;
    this.#runners = new RunnerFactory(deps, () => this.#gate.queue());
    this.#reload = {
      programs: this.#programs,
      create: (config, index) => this.#runners.create(config, index),
      reconfigure: (runner, config) => this.#runners.reconfigure(runner, config),
      dispose: (runner) => this.#runners.dispose(runner),
      start: (runner) => this.#gate.requestStart(runner),
      shuttingDown: () => this.#shuttingDown,
    };
    for (const program of config.programs.values()) addProgram(program, this.#reload);
  }

  get config(): TaskmasterConfig {
    return this.#config;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * Starts every autostart program, lowest priority first, without waiting
   * for them to come up (one whose dependencies are not met waits in
   * WAITING), in slices that let requests through (launch.ts). Resolves
   * when every start has been dispatched.
   */
  launch(): Promise<void> {
    return launchInSlices(this.#programs.resolve().filter((r) => r.config.autostart), {
      stopped: () => this.#shuttingDown,
      current: (r) => this.#programs.get(r.program)?.runners.includes(r) ?? false,
      start: (r) => this.#gate.requestStart(r),
    });
  }

  /** program → the programs it depends on. */
  graph(): DependencyGraph {
    return this.#programs.graph();
  }

  /**
   * Subscribes to health events (READY, NOT READY, a liveness or max_memory
   * restart), with the runner concerned, called before the restart begins;
   * returns the unsubscribe function.
   */
  onHealth(listener: (event: HealthEvent, runner: ProcessRunner) => void): () => void {
    return subscribe(this.#runners.listeners.health, listener);
  }

  /**
   * Runs `task` while no command, reload or launch can change a process
   * (recovery of a dead taskmaster's programs runs so, before launch).
   */
  exclusively<T>(task: () => Promise<T>): Promise<T> {
    return this.#lock.exclusive(task);
  }

  /** Every instance with a live child, for the state file. */
  liveInstances(): { name: string; config: ProgramConfig; child: LiveChild }[] {
    const live = [];
    for (const runner of this.#programs.all()) {
      const child = runner.liveChild;
      if (child !== null) live.push({ name: runner.name, config: runner.config, child });
    }
    return live;
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onChange(listener: (change: StateChange) => void): () => void {
    return subscribe(this.#runners.listeners.changes, listener);
  }

  /**
   * Like {@link onChange}, with the runner, called while its snapshot is
   * still the one that made the change (exit code, signal, tries).
   */
  onTransition(listener: (change: StateChange, runner: ProcessRunner) => void): () => void {
    return subscribe(this.#runners.listeners.transitions, listener);
  }

  /** Instances matching `names` (program, `prog:N`, `prog:*` or `all`); none means all. */
  resolve(names: readonly string[] = []): ProcessRunner[] {
    return this.#programs.resolve(names);
  }

  /** Every instance, in start order. */
  instances(): ProcessRunner[] {
    return this.resolve();
  }

  /** One instance by exact instance name, or a BAD_NAME error. */
  instance(name: string): ProcessRunner {
    return this.#programs.instance(name);
  }

  status(names: readonly string[] = []): ProcessInfo[] {
    return this.statusOrder(names).map((r) => r.info());
  }

  /** The instances `status` lists, in its order: by program name, then instance number. */
  statusOrder(names: readonly string[] = []): ProcessRunner[] {
    return this.resolve(names)
      .sort((a, b) => a.program.localeCompare(b.program) || a.index - b.index);
  }

  /**
   * Starts the targets. Unless `noDeps`, the dependencies they still need
   * are started first (deepest first); each target then waits for them in
   * WAITING. With `noDeps` a target spawns at once, dependencies or not.
   */
  start(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    this.#refuseWhileShuttingDown();
    const runners = this.resolve(names);
    return this.#lock.shared(() => this.#startAll(runners, options.noDeps === true));
  }

  #startAll(runners: readonly ProcessRunner[], noDeps: boolean): Promise<ActionResult[]> {
    if (noDeps) {
      return startAll([], runners, (r) => r.dispatch({ kind: "start" }), this.#deps.clock);
    }
    const pulled = this.#gate.neededDependencies(runners);
    return startAll(pulled, runners, (r) => this.#gate.requestStart(r), this.#deps.clock);
  }

  /**
   * Stops the targets. Unless `noDeps`, whatever depends on them and is
   * active is stopped first (`api: stopped (depends on db)`), dependents
   * before what they depend on, each wave fully down before the next.
   */
  stop(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    this.#refuseWhileShuttingDown();
    const runners = this.resolve(names);
    const everything = names.includes("all");
    return this.#lock.shared(() => {
      // Without any depends_on there is no dependent and one wave: the graph
      // walks (~0.4 ms of a first stop, before its first stopsignal) are skipped.
      const inOrder = options.noDeps === true || !this.#programs.hasDependencies() ||
        (everything && this.#config.settings.shutdownOrder === "parallel");
      return inOrder ? stopInOrder(runners, this.#signalBurst) : this.#stopWithDependents(runners);
    });
  }

  async #stopWithDependents(runners: readonly ProcessRunner[]): Promise<ActionResult[]> {
    const because = this.#gate.activeDependents(runners);
    const extra = [...because.keys()];
    const results = await stopInWaves(
      [...extra, ...runners],
      stopWaves(this.graph()),
      this.#signalBurst,
    );
    return results.map((r, i) => i < extra.length ? { ...r, note: because.get(extra[i]!)! } : r);
  }

  restart(names: readonly string[]): Promise<ActionResult[]> {
    this.#refuseWhileShuttingDown();
    const runners = this.resolve(names);
    return this.#lock.shared(() =>
      restartInOrder(runners, (r) => this.#gate.requestStart(r), this.#deps.clock)
    );
  }

  /** Sends a signal to each target's main process, as supervisorctl's `signal` does. */
  signal(signalName: string, names: readonly string[]): Promise<ActionResult[]> {
    this.#refuseWhileShuttingDown();
    const signal = parseSignal(signalName);
    if (signal === undefined) {
      throw new TaskmasterError("BAD_SIGNAL", `bad signal name: ${signalName}`);
    }
    const runners = this.resolve(names);
    return this.#lock.shared(() => Promise.resolve(signalEach(runners, signal)));
  }

  /**
   * Applies a new configuration (reload.ts): removed programs stop and are
   * forgotten, added ones start (autostart), spawn-option changes restart
   * what was running, monitoring-only changes apply live, `numprocs` adds
   * or removes instances only, and everything else keeps its processes.
   */
  applyConfig(next: TaskmasterConfig): Promise<ReloadReport> {
    this.#refuseWhileShuttingDown();
    return this.#lock.exclusive(async () => {
      // The plan reads the states before anything moves.
      const plan = planReload(this.#config, next, (name) => this.#programs.states(name));
      const work = applyReload(plan, this.#reload);
      this.#config = next;
      await work;
      startAdded(plan, this.#reload);
      // Changed dependencies may release (or block) what waits.
      this.#gate.queue();
      return reloadReport(plan);
    });
  }

  /**
   * Stops everything: dependents before what they depend on, wave by wave
   * (`shutdown_order: dependencies`), else all at once; reverse priority
   * inside each wave.
   */
  async shutdown(): Promise<void> {
    this.#shuttingDown = true;
    const stopAll = () =>
      this.#config.settings.shutdownOrder === "parallel"
        ? stopInOrder(this.#programs.all(), this.#signalBurst)
        : stopInWaves(this.#programs.all(), stopWaves(this.graph()), this.#signalBurst);
    await stopAll();
    // A reload in flight may still add instances: let it finish, then stop those too.
    await this.#lock.exclusive(stopAll);
    await stopLeftovers(this.#programs.all(), this.#deps);
    for (const runner of this.#programs.all()) this.#runners.dispose(runner);
  }

  #refuseWhileShuttingDown(): void {
    if (this.#shuttingDown) {
      throw new TaskmasterError("SHUTTING_DOWN", "taskmaster is shutting down");
    }
  }

  /** `why NAME`: the instance's state explained from its recorded events. */
  why(name: string): string {
    const runner = this.instance(name);
    return explain({
      name: runner.name,
      snapshot: runner.snapshot,
      config: runner.config,
      ready: runner.ready,
      history: this.#runners.history.of(runner.name),
      now: this.#deps.clock.now(),
    });
  }
}

function subscribe<T>(listeners: Set<T>, listener: T): () => boolean {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
