/**
 * The dependency gate, applied: a start that goes through it spawns only
 * once the program's `depends_on` are met, else the instance is held in
 * WAITING (or BLOCKED, when a dependency cannot come up any more), and is
 * released when they are. Also which other instances a start pulls in and
 * a stop takes down. The rules themselves are pure (dependencies.ts).
 *
 * Why a microtask: any state or readiness change may meet (or fail) someone's
 * dependencies, but the gate must never run inside a transition (a runner's
 * transition must not re-enter another's); it is judged once per burst of
 * changes, right after.
 *
 * @module
 */

import { withDependents } from "../config/dependency_graph.ts";
import type { ProcessRunner } from "../process/runner.ts";
import { type ProcessState, RUNNING_STATES } from "../process/state.ts";
import { judgeDependencies, meets } from "./dependencies.ts";
import type { ProgramTable } from "./programs.ts";

/** The states of an instance the gate holds. */
const HELD: ReadonlySet<ProcessState> = new Set(["WAITING", "BLOCKED"]);

/** Holds and releases instances by their dependencies. */
export class DependencyGate {
  readonly #programs: ProgramTable;
  readonly #closed: () => boolean;
  #queued = false;

  /** `closed`: shutting down, when nothing held is released any more. */
  constructor(programs: ProgramTable, closed: () => boolean) {
    this.#programs = programs;
    this.#closed = closed;
  }

  /** Starts a runner now, or holds it in WAITING/BLOCKED until its dependencies are met. */
  requestStart(runner: ProcessRunner): ReturnType<ProcessRunner["dispatch"]> {
    const verdict = judgeDependencies(runner.config.dependsOn, (p) => this.#programs.facts(p));
    if (verdict.kind === "met") return runner.dispatch({ kind: "start" });
    return runner.dispatch({
      kind: "hold",
      waitingFor: verdict.waitingFor,
      blockedBy: verdict.kind === "blocked" ? verdict.blockedBy : null,
    });
  }

  /** Something changed: re-judges every held instance in a microtask. */
  queue(): void {
    if (this.#queued) return;
    this.#queued = true;
    queueMicrotask(() => {
      this.#queued = false;
      this.#judgeHeld();
    });
  }

  #judgeHeld(): void {
    if (this.#closed()) return;
    for (const runner of this.#programs.inStates(HELD)) {
      // An earlier release in this loop may have moved it on already.
      if (!HELD.has(runner.state)) continue;
      const verdict = judgeDependencies(runner.config.dependsOn, (p) => this.#programs.facts(p));
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
   * Instances of the targets' dependencies (transitively) that are not
   * active and do not meet the condition asked of them, deepest first.
   */
  neededDependencies(targets: readonly ProcessRunner[]): ProcessRunner[] {
    const programs = this.#programs;
    const named = new Set(targets);
    const needed: ProcessRunner[] = [];
    const seen = new Set<string>();
    const visit = (program: string) => {
      for (const dep of programs.get(program)?.config.dependsOn ?? []) {
        const key = `${program}->${dep.program}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const instances = programs.get(dep.program)?.runners ?? [];
        visit(dep.program);
        for (const runner of instances) {
          const facts = programs.facts(dep.program)[runner.index];
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
   * Active instances of programs that depend on the targets' programs, not
   * named themselves, each with why (`depends on db`): a stop takes them
   * down first.
   */
  activeDependents(targets: readonly ProcessRunner[]): Map<ProcessRunner, string> {
    const graph = this.#programs.graph();
    const named = new Set(targets);
    const namedPrograms = new Set(targets.map((r) => r.program));
    const because = new Map<ProcessRunner, string>();
    for (const program of namedPrograms) {
      for (const dependent of withDependents(graph, [program])) {
        // The other instances of a named program are not its dependents.
        if (namedPrograms.has(dependent)) continue;
        for (const runner of this.#programs.get(dependent)?.runners ?? []) {
          if (named.has(runner) || because.has(runner)) continue;
          if (!RUNNING_STATES.has(runner.state) && runner.state !== "STOPPING") continue;
          because.set(runner, `depends on ${program}`);
        }
      }
    }
    return because;
  }
}
