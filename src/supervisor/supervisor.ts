/**
 * All supervised programs and their instances: name resolution, the
 * start/stop/restart/signal commands with supervisorctl's waiting rules,
 * launch, reload (a per-program diff, applied atomically) and shutdown.
 *
 * @module
 */

import {
  type ActionResult,
  type ProcessInfo,
  type ReloadReport,
  RUNNING_STATES,
  severalInstancesMessage,
  type StateChange,
  TaskmasterError,
} from "../api/protocol.ts";
import { diffConfigs } from "../config/diff.ts";
import type { ProgramConfig, TaskmasterConfig } from "../config/types.ts";
import { ProcessRunner, type RunnerDeps } from "../process/runner.ts";
import { INITIAL_SNAPSHOT } from "../process/transition.ts";
import { stopLeftoverGroups } from "../process/group.ts";
import { RwLock } from "../util/rw_lock.ts";
import { parseSignal } from "../config/values.ts";

/** Ports of the supervisor: everything a runner needs, minus `onChange` (the supervisor fans it out). */
export type SupervisorDeps = Omit<RunnerDeps, "onChange">;

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
   * for them to come up. A spawn is synchronous and costs a millisecond or
   * more, so 1,000 of them in one go kept the socket silent for 15 s: the
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
      runner.dispatch({ kind: "start" });
    }
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

  start(names: readonly string[]): Promise<ActionResult[]> {
    this.#refuseWhileShuttingDown();
    const runners = this.resolve(names);
    return this.#lock.shared(() => Promise.all(runners.map((r) => startOne(r))));
  }

  stop(names: readonly string[]): Promise<ActionResult[]> {
    this.#refuseWhileShuttingDown();
    const runners = this.resolve(names);
    return this.#lock.shared(() => stopInOrder(runners));
  }

  restart(names: readonly string[]): Promise<ActionResult[]> {
    this.#refuseWhileShuttingDown();
    const runners = this.resolve(names);
    return this.#lock.shared(async () => {
      const stopped = await stopInOrder(runners);
      const started = await Promise.all(runners.map((r) => startOne(r)));
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
        const pid = r.snapshot.pid;
        if (pid === null) return failure(r.name, "NOT_RUNNING", `${r.name} is not running`);
        try {
          Deno.kill(pid, signal);
          return { name: r.name, ok: true };
        } catch (error) {
          return failure(r.name, "NOT_RUNNING", errorText(error));
        }
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
      const report = {
        added: [] as string[],
        changed: [] as string[],
        updated: [] as string[],
        removed: [] as string[],
        unchanged: [] as string[],
      };
      const work: Promise<unknown>[] = [];
      for (const change of diffConfigs(this.#config, next)) {
        switch (change.kind) {
          case "removed":
            report.removed.push(change.prev.name);
            work.push(this.#removeProgram(change.prev.name));
            break;
          case "added":
            report.added.push(change.next.name);
            this.#addProgram(change.next);
            break;
          case "changed":
            report.changed.push(change.next.name);
            work.push(this.#replaceProgram(change.next));
            break;
          case "updated":
            report.updated.push(change.next.name);
            work.push(this.#updateProgram(change.next));
            break;
          case "unchanged":
            report.unchanged.push(change.next.name);
            break;
        }
      }
      this.#config = next;
      await Promise.all(work);
      for (const name of report.added) {
        if (this.#shuttingDown) break;
        const program = this.#programs.get(name);
        if (program?.config.autostart) {
          for (const runner of program.runners) runner.dispatch({ kind: "start" });
        }
      }
      return report;
    });
  }

  /** Stops everything (highest priority last… stopped first: reverse priority), then forgets nothing. */
  async shutdown(): Promise<void> {
    this.#shuttingDown = true;
    await stopInOrder(this.#allRunners());
    // A reload in flight may still add instances: let it finish, then stop those too.
    await this.#lock.exclusive(() => stopInOrder(this.#allRunners()));
    const leftovers = this.#allRunners().flatMap((r) => r.leftoverGroups());
    if (leftovers.length > 0) {
      const stopped = await stopLeftoverGroups(leftovers);
      for (const pgid of stopped) {
        this.#deps.log("info", `stopped process group ${pgid}, left behind by an exited program`);
      }
    }
    for (const runner of this.#allRunners()) runner.dispose();
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

  #newRunner(config: ProgramConfig, index: number): ProcessRunner {
    const runner: ProcessRunner = new ProcessRunner(config, index, {
      ...this.#deps,
      onChange: (change) => {
        for (const listener of this.#transitionListeners) listener(change, runner);
        for (const listener of this.#listeners) listener(change);
      },
    });
    return runner;
  }

  #addProgram(config: ProgramConfig): void {
    const runners = Array.from({ length: config.numprocs }, (_, i) => this.#newRunner(config, i));
    this.#programs.set(config.name, { config, runners });
  }

  async #removeProgram(name: string): Promise<void> {
    const program = this.#programs.get(name);
    if (program === undefined) return;
    await stopInOrder(program.runners);
    for (const runner of program.runners) runner.dispose();
    this.#programs.delete(name);
  }

  // Spawn options changed: what was running (or had failed) restarts with the new
  // options; what was stopped by hand stays stopped.
  async #replaceProgram(config: ProgramConfig): Promise<void> {
    const program = this.#programs.get(config.name)!;
    const wasActive = program.runners.map((r) =>
      RUNNING_STATES.has(r.state) || (r.state === "FATAL" && config.autostart)
    );
    await this.#resize(program, config);
    await stopInOrder(program.runners);
    program.runners.forEach((runner, i) => {
      runner.updateConfig(config);
      if ((wasActive[i] ?? config.autostart) && !this.#shuttingDown) {
        runner.dispatch({ kind: "start" });
      }
    });
  }

  // Monitoring options and/or numprocs changed: no running process is touched.
  async #updateProgram(config: ProgramConfig): Promise<void> {
    const program = this.#programs.get(config.name)!;
    const before = program.runners.length;
    await this.#resize(program, config);
    for (const runner of program.runners) runner.updateConfig(config);
    if (config.autostart && !this.#shuttingDown) {
      for (const runner of program.runners.slice(before)) runner.dispatch({ kind: "start" });
    }
  }

  async #resize(program: Program, config: ProgramConfig): Promise<void> {
    const extra = program.runners.slice(config.numprocs);
    program.runners = program.runners.slice(0, config.numprocs);
    for (let i = program.runners.length; i < config.numprocs; i++) {
      program.runners.push(this.#newRunner(config, i));
    }
    program.config = config;
    await stopInOrder(extra);
    for (const runner of extra) runner.dispose();
  }
}

async function startOne(runner: ProcessRunner): Promise<ActionResult> {
  const result = runner.dispatch({ kind: "start" });
  if (result.rejected === "ALREADY_STARTED") {
    return failure(runner.name, "ALREADY_STARTED", `${runner.name} is already started`);
  }
  if (result.rejected !== undefined) {
    return failure(runner.name, "NOT_RUNNING", `${runner.name} is stopping`);
  }
  const snap = await runner.waitFor((s) => s.state !== "STARTING");
  if (snap.state === "RUNNING") return { name: runner.name, ok: true };
  if (snap.spawnerr !== null) return failure(runner.name, "SPAWN_ERROR", snap.spawnerr);
  return failure(runner.name, "ABNORMAL_TERMINATION", `${runner.name} exited too quickly`);
}

/** Stops in reverse priority: each priority level is fully stopped before the next. */
async function stopInOrder(runners: readonly ProcessRunner[]): Promise<ActionResult[]> {
  const levels = [...new Set(runners.map((r) => r.config.priority))].sort((a, b) => b - a);
  const results = new Map<ProcessRunner, ActionResult>();
  for (const level of levels) {
    const batch = runners.filter((r) => r.config.priority === level);
    const done = await Promise.all(batch.map((r) => stopOne(r)));
    batch.forEach((r, i) => results.set(r, done[i]!));
  }
  return runners.map((r) => results.get(r)!);
}

async function stopOne(runner: ProcessRunner): Promise<ActionResult> {
  const result = runner.dispatch({ kind: "stop" });
  if (result.rejected !== undefined) {
    return failure(runner.name, "NOT_RUNNING", `${runner.name} is not running`);
  }
  await runner.waitFor((s) => s.state !== "STOPPING");
  return { name: runner.name, ok: true };
}

function failure(
  name: string,
  code: NonNullable<ActionResult["error"]>["code"],
  message: string,
): ActionResult {
  return { name, ok: false, error: { code, message } };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
