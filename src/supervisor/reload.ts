/**
 * Applies a reload plan (reload_plan.ts) to the running programs: removed
 * programs stop and are forgotten, changed ones stop and start again with
 * the new options, updated ones take them live (numprocs adds or removes
 * instances only), added ones start last. The plan was decided from the
 * states before anything moved; here each program's work runs concurrently,
 * so a slow stop holds back only its own program.
 *
 * @module
 */

import type { ProgramConfig } from "../config/types.ts";
import type { ProcessRunner } from "../process/runner.ts";
import { stopInOrder } from "./actions.ts";
import type { Program, ProgramTable } from "./programs.ts";
import type { ProgramReload } from "./reload_plan.ts";

/** What a reload works with. */
export interface ReloadHost {
  readonly programs: ProgramTable;
  readonly create: (config: ProgramConfig, index: number) => ProcessRunner;
  readonly reconfigure: (runner: ProcessRunner, config: ProgramConfig) => void;
  readonly dispose: (runner: ProcessRunner) => void;
  /** A start through the dependency gate. */
  readonly start: (runner: ProcessRunner) => void;
  readonly shuttingDown: () => boolean;
}

/**
 * Begins every program's part of `plan` but the start of added programs;
 * the synchronous part is done on return (added programs are in the
 * table). Resolves once every stop and restart is over.
 */
export function applyReload(plan: readonly ProgramReload[], host: ReloadHost): Promise<unknown> {
  const work: Promise<unknown>[] = [];
  for (const step of plan) {
    switch (step.kind) {
      case "removed":
        work.push(removeProgram(step.name, host));
        break;
      case "added":
        addProgram(step.config, host);
        break;
      case "changed":
        work.push(replaceProgram(step.config, step.start, host));
        break;
      case "updated":
        work.push(updateProgram(step.config, step.start, host));
        break;
    }
  }
  return Promise.all(work);
}

/**
 * Starts the added programs' autostart instances: once the rest is in
 * place (a removed one may have held a port or file the new one wants).
 */
export function startAdded(plan: readonly ProgramReload[], host: ReloadHost): void {
  for (const step of plan) {
    if (step.kind !== "added") continue;
    if (host.shuttingDown()) break;
    const runners = host.programs.get(step.name)?.runners ?? [];
    for (const i of step.start) if (runners[i]) host.start(runners[i]);
  }
}

/** A new program's instances, none started. */
export function addProgram(config: ProgramConfig, host: ReloadHost): void {
  const runners = Array.from({ length: config.numprocs }, (_, i) => host.create(config, i));
  host.programs.add(config, runners);
}

async function removeProgram(name: string, host: ReloadHost): Promise<void> {
  const program = host.programs.get(name);
  if (program === undefined) return;
  await stopInOrder(program.runners);
  for (const runner of program.runners) host.dispose(runner);
  host.programs.delete(name);
}

// Spawn options changed: every instance stops; those the plan names
// start again with the new options.
async function replaceProgram(
  config: ProgramConfig,
  start: readonly number[],
  host: ReloadHost,
): Promise<void> {
  const program = host.programs.get(config.name)!;
  await resize(program, config, host);
  await stopInOrder(program.runners);
  program.runners.forEach((runner, i) => {
    host.reconfigure(runner, config);
    if (start.includes(i) && !host.shuttingDown()) host.start(runner);
  });
}

// Monitoring options and/or numprocs changed: no running process is touched.
async function updateProgram(
  config: ProgramConfig,
  start: readonly number[],
  host: ReloadHost,
): Promise<void> {
  const program = host.programs.get(config.name)!;
  await resize(program, config, host);
  for (const runner of program.runners) host.reconfigure(runner, config);
  if (host.shuttingDown()) return;
  for (const i of start) host.start(program.runners[i]!);
}

// Instances beyond the new numprocs stop and are forgotten; missing ones are made.
async function resize(program: Program, config: ProgramConfig, host: ReloadHost): Promise<void> {
  const extra = program.runners.slice(config.numprocs);
  program.runners = program.runners.slice(0, config.numprocs);
  for (let i = program.runners.length; i < config.numprocs; i++) {
    program.runners.push(host.create(config, i));
  }
  program.config = config;
  await stopInOrder(extra);
  for (const runner of extra) host.dispose(runner);
}
