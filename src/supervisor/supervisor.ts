/**
 * All supervised programs and their instances: name resolution, the
 * start/stop/restart/signal commands with supervisorctl's waiting rules,
 * launch, reload (a per-program diff, applied atomically) and shutdown.
 *
 * Why it is shaped this way:
 * - Commands take a shared lock and reload an exclusive one (RwLock): a
 *   reload never sees a half-applied command, and commands run side by side.
 * - Every start goes through #requestStart, so launch, reload, restart and
 *   a user's start obey the dependency gate alike; the gate is re-judged in
 *   a microtask after any state or readiness change, never inside a
 *   transition (a runner's transition must not re-enter another's).
 * - What a reload does is decided up front by the pure plan
 *   (reload_plan.ts) from the states before anything moves; this class only
 *   applies it, so the rules are tested without processes.
 * - Waiting rules and stop ordering live in actions.ts; OS calls stay in
 *   the runners' ports (`signal` goes through runner.signalProcess).
 *
 * @module
 */

import {
  type ActionOptions,
  type ActionResult,
  type ProcessInfo,
  type ReloadReport,
  severalInstancesMessage,
  type StateChange,
} from "../api/protocol.ts";
import { RUNNING_STATES } from "../process/state.ts";
import { TaskmasterError } from "../util/errors.ts";
import { planReload, reloadReport } from "./reload_plan.ts";
import { type DependencyGraph, stopWaves, withDependents } from "../config/dependency_graph.ts";
import { type InstanceFacts, judgeDependencies, meets } from "./dependencies.ts";
import { InstanceHistory } from "./history.ts";
import { explain } from "./why.ts";
import { type HealthDeps, type HealthEvent, HealthMonitor } from "../health/monitor.ts";
import type { ProgramConfig, TaskmasterConfig } from "../config/types.ts";
import { type LiveChild, ProcessRunner, type RunnerDeps } from "../process/runner.ts";
import { INITIAL_SNAPSHOT } from "../process/snapshot.ts";
import { stopLeftoverGroups } from "../process/group.ts";
import { RwLock } from "../util/rw_lock.ts";
import { failure, startOne, stopInOrder, stopInWaves, stopLeftoverCgroups } from "./actions.ts";
import { parseSignal } from "../config/values.ts";

/** Ports of the supervisor: everything a runner needs, minus `onChange` (the supervisor fans it out). */
export type SupervisorDeps = Omit<RunnerDeps, "onChange"> & {
  /** Live output of an instance stream (`web:stdout`), for `log_line` probes. */
  readonly tap?: HealthDeps["tap"];
  /** Resident bytes of a process group, for `max_memory`. @default none: never exceeded */
  readonly groupRss?: HealthDeps["groupRss"];
};

interface Program {
  config: ProgramConfig;
  runners: ProcessRunner[];
}

/** How long one slice of the launch may spawn before it yields to the event loop. */
export const LAUNCH_SLICE_MS = 10;

/** Supervises every program of a configuration. */
export class Supervisor {
  #config: TaskmasterConfig;
  #deps: SupervisorDeps;
  #programs = new Map<string, Program>();
  #lock = new RwLock();
  #listeners = new Set<(change: StateChange) => void>();
  #transitionListeners = new Set<(change: StateChange, runner: ProcessRunner) => void>();
  #shuttingDown = false;
  #gateQueued = false;
  #history = new InstanceHistory();
  #health = new Map<ProcessRunner, HealthMonitor>();
  #healthListeners = new Set<(event: HealthEvent, runner: ProcessRunner) => void>();

  constructor(config: TaskmasterConfig, deps: SupervisorDeps) {
    this.#config = config;
    this.#deps = deps;
    for (const program of config.programs.values()) this.#addProgram(program);
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
   * WAITING). A spawn is synchronous and costs a millisecond or more, so
   * 1,000 of them in one go kept the socket silent for 15 s: the
   * burst runs in slices of {@link LAUNCH_SLICE_MS}, each followed by a turn
   * of the event loop, where requests are answered and crashed programs are
   * restarted. Resolves when every start has been dispatched.
   */
  async launch(): Promise<void> {
    const pending = this.#ordered(this.#allRunners()).filter((r) => r.config.autostart);
    let sliceStart = performance.now();
    for (const runner of pending) {
      if (performance.now() - sliceStart >= LAUNCH_SLICE_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        sliceStart = performance.now();
      }
      if (this.#shuttingDown) return;
      // Meanwhile a reload may have removed it, or a user started or stopped it.
      const current = this.#programs.get(runner.program)?.runners.includes(runner) ?? false;
      if (!current || runner.snapshot !== INITIAL_SNAPSHOT) continue;
      this.#requestStart(runner);
    }
  }

  /** program → the programs it depends on. */
  graph(): DependencyGraph {
    return new Map(
      [...this.#programs].map(([name, p]) => [name, p.config.dependsOn.map((d) => d.program)]),
    );
  }

  #facts(program: string): InstanceFacts[] {
    return (this.#programs.get(program)?.runners ?? []).map((r) => ({
      state: r.state,
      expected: r.snapshot.expected,
      exitcode: r.snapshot.exitcode,
      signal: r.snapshot.signal,
      ready: r.ready,
    }));
  }

  /** Starts a runner now, or holds it in WAITING/BLOCKED until its dependencies are met. */
  #requestStart(runner: ProcessRunner): ReturnType<ProcessRunner["dispatch"]> {
    const verdict = judgeDependencies(runner.config.dependsOn, (p) => this.#facts(p));
    if (verdict.kind === "met") return runner.dispatch({ kind: "start" });
    return runner.dispatch({
      kind: "hold",
      waitingFor: verdict.waitingFor,
      blockedBy: verdict.kind === "blocked" ? verdict.blockedBy : null,
    });
  }

  // Any state or readiness change may meet (or fail) someone's dependencies.
  // Checked in a microtask: once per burst of changes, never inside a transition.
  #queueGate(): void {
    if (this.#gateQueued) return;
    this.#gateQueued = true;
    queueMicrotask(() => {
      this.#gateQueued = false;
      this.#gate();
    });
  }

  #gate(): void {
    if (this.#shuttingDown) return;
    for (const runner of this.#ordered(this.#allRunners())) {
      if (runner.state !== "WAITING" && runner.state !== "BLOCKED") continue;
      const verdict = judgeDependencies(runner.config.dependsOn, (p) => this.#facts(p));
      if (verdict.kind === "met") runner.dispatch({ kind: "release" });
      else {
        runner.dispatch({
          kind: "hold",
          waitingFor: verdict.waitingFor,
          blockedBy: verdict.kind === "blocked" ? verdict.blockedBy : null,
        });
      }
    }
  }

  /**
   * Subscribes to health events (READY, NOT READY, a liveness or max_memory
   * restart), with the runner concerned, called before the restart begins;
   * returns the unsubscribe function.
   */
  onHealth(listener: (event: HealthEvent, runner: ProcessRunner) => void): () => void {
    this.#healthListeners.add(listener);
    return () => this.#healthListeners.delete(listener);
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
    for (const runner of this.#allRunners()) {
      const child = runner.liveChild;
      if (child !== null) live.push({ name: runner.name, config: runner.config, child });
    }
    return live;
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onChange(listener: (change: StateChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Like {@link onChange}, with the runner, called while its snapshot is
   * still the one that made the change (exit code, signal, tries).
   */
  onTransition(listener: (change: StateChange, runner: ProcessRunner) => void): () => void {
    this.#transitionListeners.add(listener);
    return () => this.#transitionListeners.delete(listener);
  }

  /** Instances matching `names` (program, `prog:N`, `prog:*` or `all`); none means all. */
  resolve(names: readonly string[] = []): ProcessRunner[] {
    if (names.length === 0) return this.#ordered(this.#allRunners());
    const found = new Set<ProcessRunner>();
    for (const name of names) {
      for (const runner of this.#resolveOne(name)) found.add(runner);
    }
    return this.#ordered([...found]);
  }

  /** Every instance, in start order. */
  instances(): ProcessRunner[] {
    return this.resolve();
  }

  /** One instance by exact instance name, or a BAD_NAME error. */
  instance(name: string): ProcessRunner {
    const runner = this.#allRunners().find((r) => r.name === name);
    if (runner !== undefined) return runner;
    const program = this.#programs.get(name);
    if (program !== undefined && program.runners.length === 1) return program.runners[0]!;
    if (program !== undefined) {
      const names = program.runners.map((r) => r.name);
      throw new TaskmasterError("BAD_NAME", severalInstancesMessage(name, names));
    }
    throw new TaskmasterError("BAD_NAME", `no such process: ${name}`);
  }

  status(names: readonly string[] = []): ProcessInfo[] {
    return this.resolve(names)
      .map((r) => r.info())
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

  async #startAll(runners: readonly ProcessRunner[], noDeps: boolean): Promise<ActionResult[]> {
    const pulled = noDeps ? [] : this.#neededDependencies(runners);
    const results = [...pulled, ...runners].map((r) =>
      startOne(
        r,
        noDeps ? () => r.dispatch({ kind: "start" }) : () => this.#requestStart(r),
        this.#deps.clock,
      )
    );
    const done = await Promise.all(results);
    // Dependencies started on the way are reported too, before the targets.
    return done.map((result, i) => i < pulled.length ? { ...result, note: "dependency" } : result)
      .filter((result, i) =>
        i >= pulled.length || result.ok || result.error?.code !== "ALREADY_STARTED"
      );
  }

  /**
   * Instances of the targets' dependencies (transitively) that are not
   * active and do not meet the condition asked of them, deepest first.
   */
  #neededDependencies(targets: readonly ProcessRunner[]): ProcessRunner[] {
    const named = new Set(targets);
    const needed: ProcessRunner[] = [];
    const seen = new Set<string>();
    const visit = (program: string) => {
      for (const dep of this.#programs.get(program)?.config.dependsOn ?? []) {
        const key = `${program}->${dep.program}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const instances = this.#programs.get(dep.program)?.runners ?? [];
        visit(dep.program);
        for (const runner of instances) {
          const facts = this.#facts(dep.program)[runner.index];
          const idle = !RUNNING_STATES.has(runner.state) && runner.state !== "STOPPING";
          if (facts !== undefined && !meets(dep.condition, facts) && idle) {
            if (!named.has(runner) && !needed.includes(runner)) needed.push(runner);
          }
        }
      }
    };
    for (const program of new Set(targets.map((r) => r.program))) visit(program);
    return needed;
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
    return this.#lock.shared(() =>
      options.noDeps === true
        ? stopInOrder(runners)
        : everything && this.#config.settings.shutdownOrder === "parallel"
        ? stopInOrder(runners)
        : this.#stopWithDependents(runners)
    );
  }

  async #stopWithDependents(runners: readonly ProcessRunner[]): Promise<ActionResult[]> {
    const graph = this.graph();
    const named = new Set(runners);
    const namedPrograms = new Set(runners.map((r) => r.program));
    const extra: ProcessRunner[] = [];
    const because = new Map<ProcessRunner, string>();
    for (const program of namedPrograms) {
      for (const dependent of withDependents(graph, [program])) {
        // The other instances of a named program are not its dependents.
        if (namedPrograms.has(dependent)) continue;
        for (const runner of this.#programs.get(dependent)?.runners ?? []) {
          if (named.has(runner) || because.has(runner)) continue;
          if (!RUNNING_STATES.has(runner.state) && runner.state !== "STOPPING") continue;
          because.set(runner, `depends on ${program}`);
          extra.push(runner);
        }
      }
    }
    const results = await stopInWaves([...extra, ...runners], stopWaves(graph));
    return results.map((r, i) => i < extra.length ? { ...r, note: because.get(extra[i]!)! } : r);
  }

  restart(names: readonly string[]): Promise<ActionResult[]> {
    this.#refuseWhileShuttingDown();
    const runners = this.resolve(names);
    return this.#lock.shared(async () => {
      const stopped = await stopInOrder(runners);
      const started = await Promise.all(
        runners.map((r) => startOne(r, () => this.#requestStart(r), this.#deps.clock)),
      );
      // One result per instance: a stopped one is simply started (as
      // supervisorctl's restart does), so only the start can fail.
      return runners.map((_, i) => {
        const stop = stopped[i]!;
        return stop.ok || stop.error?.code === "NOT_RUNNING" ? started[i]! : stop;
      });
    });
  }

  /** Sends a signal to each target's main process, as supervisorctl's `signal` does. */
  signal(signalName: string, names: readonly string[]): Promise<ActionResult[]> {
    this.#refuseWhileShuttingDown();
    const signal = parseSignal(signalName);
    if (signal === undefined) {
      throw new TaskmasterError("BAD_SIGNAL", `bad signal name: ${signalName}`);
    }
    const runners = this.resolve(names);
    return this.#lock.shared(() =>
      Promise.resolve(runners.map((r): ActionResult => {
        const failed = r.signalProcess(signal);
        return failed === null
          ? { name: r.name, ok: true }
          : failure(r.name, "NOT_RUNNING", failed);
      }))
    );
  }

  /**
   * Applies a new configuration: removed programs stop and are forgotten,
   * added ones start (autostart), spawn-option changes restart what was
   * running, monitoring-only changes apply live, `numprocs` adds or removes
   * instances only, and everything else keeps its processes.
   */
  applyConfig(next: TaskmasterConfig): Promise<ReloadReport> {
    this.#refuseWhileShuttingDown();
    return this.#lock.exclusive(async () => {
      // The plan reads the states before anything moves; each program's
      // work then runs concurrently (a slow stop holds back only its own).
      const plan = planReload(
        this.#config,
        next,
        (name) => this.#programs.get(name)?.runners.map((r) => r.state) ?? [],
      );
      const work: Promise<unknown>[] = [];
      for (const step of plan) {
        switch (step.kind) {
          case "removed":
            work.push(this.#removeProgram(step.name));
            break;
          case "added":
            this.#addProgram(step.config);
            break;
          case "changed":
            work.push(this.#replaceProgram(step.config, step.start));
            break;
          case "updated":
            work.push(this.#updateProgram(step.config, step.start));
            break;
        }
      }
      this.#config = next;
      await Promise.all(work);
      // Added programs start once the rest is in place (a removed one may
      // have held a port or file the new one wants).
      for (const step of plan) {
        if (step.kind !== "added") continue;
        if (this.#shuttingDown) break;
        const runners = this.#programs.get(step.name)?.runners ?? [];
        for (const i of step.start) if (runners[i]) this.#requestStart(runners[i]);
      }
      // Changed dependencies may release (or block) what waits.
      this.#queueGate();
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
        ? stopInOrder(this.#allRunners())
        : stopInWaves(this.#allRunners(), stopWaves(this.graph()));
    await stopAll();
    // A reload in flight may still add instances: let it finish, then stop those too.
    await this.#lock.exclusive(stopAll);
    const leftovers = this.#allRunners().flatMap((r) => r.leftoverGroups());
    const cgroups = this.#allRunners().flatMap((r) => r.leftoverCgroups());
    const [stopped] = await Promise.all([
      leftovers.length > 0 ? stopLeftoverGroups(leftovers, this.#deps.clock, this.#deps.os) : [],
      this.#deps.cgroups ? stopLeftoverCgroups(this.#deps.cgroups, cgroups, this.#deps.clock) : [],
    ]);
    for (const pgid of stopped) {
      this.#deps.log("info", `stopped process group ${pgid}, left behind by an exited program`);
    }
    for (const { cgroup } of cgroups) {
      this.#deps.log("info", `stopped cgroup ${cgroup}, left behind by an exited program`);
    }
    for (const runner of this.#allRunners()) this.#dispose(runner);
  }

  #refuseWhileShuttingDown(): void {
    if (this.#shuttingDown) {
      throw new TaskmasterError("SHUTTING_DOWN", "taskmaster is shutting down");
    }
  }

  #allRunners(): ProcessRunner[] {
    return [...this.#programs.values()].flatMap((p) => p.runners);
  }

  #ordered(runners: ProcessRunner[]): ProcessRunner[] {
    // File order from a map, not indexOf in the comparator (quadratic in programs).
    const position = new Map([...this.#programs.keys()].map((name, i) => [name, i]));
    return runners.sort((a, b) =>
      a.config.priority - b.config.priority ||
      position.get(a.program)! - position.get(b.program)! ||
      a.index - b.index
    );
  }

  #resolveOne(name: string): ProcessRunner[] {
    if (name === "all") return this.#allRunners();
    const program = this.#programs.get(name.endsWith(":*") ? name.slice(0, -2) : name);
    if (program !== undefined) return program.runners;
    const runner = this.#allRunners().find((r) => r.name === name);
    if (runner !== undefined) return [runner];
    throw new TaskmasterError("BAD_NAME", `no such process: ${name}`);
  }

  /** `why NAME`: the instance's state explained from its recorded events. */
  why(name: string): string {
    const runner = this.instance(name);
    return explain({
      name: runner.name,
      snapshot: runner.snapshot,
      config: runner.config,
      ready: runner.ready,
      history: this.#history.of(runner.name),
      now: this.#deps.clock.now(),
    });
  }

  #newRunner(config: ProgramConfig, index: number): ProcessRunner {
    const runner: ProcessRunner = new ProcessRunner(config, index, {
      ...this.#deps,
      log: (level, message) => {
        this.#deps.log(level, message);
        this.#history.record(runner.name, { at: this.#deps.clock.now(), level, message });
      },
      onChange: (change) => {
        for (const listener of this.#transitionListeners) listener(change, runner);
        for (const listener of this.#listeners) listener(change);
        this.#queueGate();
      },
    });
    runner.onReadyChange(() => this.#queueGate());
    const log = (level: "info" | "warning" | "error", message: string) => {
      this.#deps.log(level, message);
      this.#history.record(runner.name, { at: this.#deps.clock.now(), level, message });
    };
    this.#health.set(
      runner,
      new HealthMonitor(runner, {
        spawner: this.#deps.spawner,
        clock: this.#deps.clock,
        log,
        ...(this.#deps.tap === undefined ? {} : { tap: this.#deps.tap }),
        groupRss: this.#deps.groupRss ?? (() => null),
        onEvent: (event) => {
          for (const listener of this.#healthListeners) listener(event, runner);
        },
      }),
    );
    return runner;
  }

  /** Applies new monitoring options to a runner (and its probes, when they changed). */
  #reconfigure(runner: ProcessRunner, config: ProgramConfig): void {
    const before = runner.config;
    runner.updateConfig(config);
    const probesChanged = JSON.stringify([before.readiness, before.liveness, before.maxMemory]) !==
      JSON.stringify([config.readiness, config.liveness, config.maxMemory]);
    if (probesChanged) this.#health.get(runner)?.reconfigure();
  }

  #dispose(runner: ProcessRunner): void {
    this.#health.get(runner)?.dispose();
    this.#health.delete(runner);
    runner.dispose();
  }

  #addProgram(config: ProgramConfig): void {
    const runners = Array.from({ length: config.numprocs }, (_, i) => this.#newRunner(config, i));
    this.#programs.set(config.name, { config, runners });
  }

  async #removeProgram(name: string): Promise<void> {
    const program = this.#programs.get(name);
    if (program === undefined) return;
    await stopInOrder(program.runners);
    for (const runner of program.runners) this.#dispose(runner);
    this.#programs.delete(name);
  }

  // Spawn options changed: every instance stops; those the plan names
  // start again with the new options.
  async #replaceProgram(config: ProgramConfig, start: readonly number[]): Promise<void> {
    const program = this.#programs.get(config.name)!;
    await this.#resize(program, config);
    await stopInOrder(program.runners);
    program.runners.forEach((runner, i) => {
      this.#reconfigure(runner, config);
      if (start.includes(i) && !this.#shuttingDown) this.#requestStart(runner);
    });
  }

  // Monitoring options and/or numprocs changed: no running process is touched.
  async #updateProgram(config: ProgramConfig, start: readonly number[]): Promise<void> {
    const program = this.#programs.get(config.name)!;
    await this.#resize(program, config);
    for (const runner of program.runners) this.#reconfigure(runner, config);
    if (this.#shuttingDown) return;
    for (const i of start) this.#requestStart(program.runners[i]!);
  }

  async #resize(program: Program, config: ProgramConfig): Promise<void> {
    const extra = program.runners.slice(config.numprocs);
    program.runners = program.runners.slice(0, config.numprocs);
    for (let i = program.runners.length; i < config.numprocs; i++) {
      program.runners.push(this.#newRunner(config, i));
    }
    program.config = config;
    await stopInOrder(extra);
    for (const runner of extra) this.#dispose(runner);
  }
}
