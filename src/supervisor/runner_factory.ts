/**
 * Makes the supervisor's runners, each wired the same way: its log lines
 * go to the event log and to the instance's history (for `why`), its state
 * changes are fanned out to the supervisor's listeners, and a health
 * monitor watches it. Forgetting an instance goes through here too, so its
 * monitor never outlives it.
 *
 * @module
 */

import type { StateChange } from "../api/protocol.ts";
import type { ProgramConfig } from "../config/types.ts";
import { type HealthDeps, type HealthEvent, HealthMonitor } from "../health/monitor.ts";
import { ProcessRunner } from "../process/runner.ts";
import type { EventLogger, RunnerDeps, RunnerPorts } from "../process/runner_deps.ts";
import { InstanceHistory } from "./history.ts";

/**
 * Ports of the supervisor: everything a runner needs, minus `onChange` (the
 * supervisor fans it out), with a plain event log (the factory keeps each
 * instance's history).
 */
export type SupervisorDeps = RunnerPorts & {
  readonly log: EventLogger;
  /** Live output of an instance stream (`web:stdout`), for `log_line` probes. */
  readonly tap?: HealthDeps["tap"];
  /** Resident bytes of a process group, for `max_memory`. @default none: never exceeded */
  readonly groupRss?: HealthDeps["groupRss"];
};

/** Listeners of every instance's changes. */
export interface RunnerListeners {
  readonly changes: Set<(change: StateChange) => void>;
  /** Called while the runner's snapshot is still the one that made the change. */
  readonly transitions: Set<(change: StateChange, runner: ProcessRunner) => void>;
  readonly health: Set<(event: HealthEvent, runner: ProcessRunner) => void>;
}

/** Creates, reconfigures and disposes of wired runners. */
export class RunnerFactory {
  readonly listeners: RunnerListeners = {
    changes: new Set(),
    transitions: new Set(),
    health: new Set(),
  };
  readonly history = new InstanceHistory();
  readonly #deps: SupervisorDeps;
  /** What every runner is given: one object for all of them. */
  readonly #runnerDeps: RunnerDeps<ProcessRunner>;
  /** After any state or readiness change (the dependency gate). */
  readonly #changed: () => void;
  #health = new Map<ProcessRunner, HealthMonitor>();

  constructor(deps: SupervisorDeps, changed: () => void) {
    this.#deps = deps;
    this.#changed = changed;
    const listeners = this.listeners;
    this.#runnerDeps = {
      ...deps,
      log: (level, message, runner) => this.#log(runner, level, message),
      onChange: (change, runner) => {
        for (const listener of listeners.transitions) listener(change, runner);
        for (const listener of listeners.changes) listener(change);
        changed();
      },
    };
  }

  /** To the event log, and to the instance's history (`why`). */
  #log(runner: ProcessRunner, level: "info" | "warning" | "error", message: string): void {
    this.#deps.log(level, message);
    this.history.record(runner.name, { at: this.#deps.clock.now(), level, message });
  }

  create(config: ProgramConfig, index: number): ProcessRunner {
    const runner = new ProcessRunner(config, index, this.#runnerDeps);
    runner.onReadyChange(this.#changed);
    this.#watchHealth(runner);
    return runner;
  }

  /**
   * A monitor only for an instance with something to check: one without
   * probes or `max_memory` would hold ~0.6 KB and do nothing (issue 17).
   */
  #watchHealth(runner: ProcessRunner): void {
    const config = runner.config;
    const checked = config.readiness !== null || config.liveness !== null ||
      config.maxMemory !== null;
    const monitor = this.#health.get(runner);
    if (!checked) {
      monitor?.dispose();
      this.#health.delete(runner);
      return;
    }
    if (monitor !== undefined) {
      monitor.reconfigure();
      return;
    }
    const deps = this.#deps;
    const listeners = this.listeners;
    this.#health.set(
      runner,
      new HealthMonitor(runner, {
        spawner: deps.spawner,
        clock: deps.clock,
        log: (level, message) => this.#log(runner, level, message),
        ...(deps.tap === undefined ? {} : { tap: deps.tap }),
        groupRss: deps.groupRss ?? (() => null),
        onEvent: (event) => {
          for (const listener of listeners.health) listener(event, runner);
        },
      }),
    );
  }

  /** Applies new monitoring options to a runner (and its probes, when they changed). */
  reconfigure(runner: ProcessRunner, config: ProgramConfig): void {
    const before = runner.config;
    runner.updateConfig(config);
    const probesChanged = JSON.stringify([before.readiness, before.liveness, before.maxMemory]) !==
      JSON.stringify([config.readiness, config.liveness, config.maxMemory]);
    if (probesChanged) this.#watchHealth(runner);
  }

  dispose(runner: ProcessRunner): void {
    this.#health.get(runner)?.dispose();
    this.#health.delete(runner);
    runner.dispose();
  }
}
