/**
 * The supervisor's table of programs and their instances, and the names a
 * user gives them: `web`, `web:3`, `web:*`, `all`. Instances are always
 * handed out in start order (priority, then file order, then index), which
 * is the order every command acts in.
 *
 * @module
 */

import { severalInstancesMessage } from "../api/protocol.ts";
import type { DependencyGraph } from "../config/dependency_graph.ts";
import type { ProgramConfig } from "../config/types.ts";
import type { ProcessRunner } from "../process/runner.ts";
import type { ProcessState } from "../process/state.ts";
import { TaskmasterError } from "../util/errors.ts";
import type { InstanceFacts } from "./dependencies.ts";

/** One program: its current config and its instances, by index. */
export interface Program {
  config: ProgramConfig;
  runners: ProcessRunner[];
}

/** Programs by name, in configuration file order. */
export class ProgramTable {
  #programs = new Map<string, Program>();

  get(name: string): Program | undefined {
    return this.#programs.get(name);
  }

  add(config: ProgramConfig, runners: ProcessRunner[]): void {
    this.#programs.set(config.name, { config, runners });
  }

  delete(name: string): void {
    this.#programs.delete(name);
  }

  /** Every instance, in no particular order. */
  all(): ProcessRunner[] {
    return [...this.#programs.values()].flatMap((p) => p.runners);
  }

  /**
   * Instances in `states`, in start order. Walks the table without copying
   * it: the dependency gate asks after every burst of state changes, and
   * almost always nothing is held (a stop or launch of thousands).
   */
  inStates(states: ReadonlySet<ProcessState>): ProcessRunner[] {
    const found: ProcessRunner[] = [];
    for (const program of this.#programs.values()) {
      for (const runner of program.runners) {
        if (states.has(runner.state)) found.push(runner);
      }
    }
    return found.length < 2 ? found : this.ordered(found);
  }

  /** `runners` sorted in start order (in place). */
  ordered(runners: ProcessRunner[]): ProcessRunner[] {
    // File order from a map, not indexOf in the comparator (quadratic in programs).
    const position = new Map([...this.#programs.keys()].map((name, i) => [name, i]));
    return runners.sort((a, b) =>
      a.config.priority - b.config.priority ||
      position.get(a.program)! - position.get(b.program)! ||
      a.index - b.index
    );
  }

  /** Instances matching `names` (program, `prog:N`, `prog:*` or `all`); none means all. */
  resolve(names: readonly string[] = []): ProcessRunner[] {
    if (names.length === 0) return this.ordered(this.all());
    const found = new Set<ProcessRunner>();
    for (const name of names) {
      for (const runner of this.#resolveOne(name)) found.add(runner);
    }
    return this.ordered([...found]);
  }

  #resolveOne(name: string): ProcessRunner[] {
    if (name === "all") return this.all();
    const program = this.#programs.get(name.endsWith(":*") ? name.slice(0, -2) : name);
    if (program !== undefined) return program.runners;
    const runner = this.#named(name);
    if (runner !== undefined) return [runner];
    throw new TaskmasterError("BAD_NAME", `no such process: ${name}`);
  }

  /**
   * The instance named exactly `name`. Looked up from its parts (`web:3` is
   * index 3 of `web`: a program's runners sit at their index), not by a
   * scan: the dashboard asks once per state change, thousands of times in a
   * launch of thousands.
   */
  #named(name: string): ProcessRunner | undefined {
    const colon = name.lastIndexOf(":");
    const program = this.#programs.get(colon < 0 ? name : name.slice(0, colon));
    const runner = colon < 0
      ? program?.runners[0]
      : program?.runners[Number(name.slice(colon + 1))];
    return runner?.name === name ? runner : undefined;
  }

  /**
   * One instance by exact instance name, or a program of one instance;
   * else a BAD_NAME error (naming the instances of a program of several).
   */
  instance(name: string): ProcessRunner {
    const runner = this.#named(name);
    if (runner !== undefined) return runner;
    const program = this.#programs.get(name);
    if (program !== undefined && program.runners.length === 1) return program.runners[0]!;
    if (program !== undefined) {
      const names = program.runners.map((r) => r.name);
      throw new TaskmasterError("BAD_NAME", severalInstancesMessage(name, names));
    }
    throw new TaskmasterError("BAD_NAME", `no such process: ${name}`);
  }

  /** Whether any program declares `depends_on`. */
  hasDependencies(): boolean {
    for (const program of this.#programs.values()) {
      if (program.config.dependsOn.length > 0) return true;
    }
    return false;
  }

  /** program → the programs it depends on. */
  graph(): DependencyGraph {
    return new Map(
      [...this.#programs].map(([name, p]) => [name, p.config.dependsOn.map((d) => d.program)]),
    );
  }

  /** The state of each of a program's instances, by index (none for an unknown program). */
  states(program: string): ProcessState[] {
    return this.#programs.get(program)?.runners.map((r) => r.state) ?? [];
  }

  /** What the dependency gate asks of each of a program's instances, by index. */
  facts(program: string): InstanceFacts[] {
    return (this.#programs.get(program)?.runners ?? []).map((r) => ({
      state: r.state,
      expected: r.snapshot.expected,
      exitcode: r.snapshot.exitcode,
      signal: r.snapshot.signal,
      ready: r.ready,
    }));
  }
}
