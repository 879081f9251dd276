/**
 * Whether a program's `depends_on` is met, as a pure function of its
 * dependencies' instance states: met, still waiting (and on what), or
 * blocked by a dependency that failed (and why).
 *
 * @module
 */

import type { ProcessState } from "../process/state.ts";
import type { Dependency, DependencyCondition } from "../config/types.ts";
import { describeExit } from "../process/edges.ts";

/** What the gate needs to know about one instance of a dependency. */
export interface InstanceFacts {
  readonly state: ProcessState;
  /** Whether the last exit's code was in `exitcodes`. */
  readonly expected: boolean | null;
  readonly exitcode: number | null;
  readonly signal: string | null;
  /** Readiness probe passing; null without a readiness probe. */
  readonly ready: boolean | null;
}

/** The verdict on a program's dependencies. */
export type Verdict =
  | { readonly kind: "met" }
  /** `waitingFor`: `db (healthy), migrate (completed_successfully)`. */
  | { readonly kind: "waiting"; readonly waitingFor: string }
  /** `blockedBy`: `db is FATAL`. */
  | { readonly kind: "blocked"; readonly waitingFor: string; readonly blockedBy: string };

/**
 * Judges `deps` against the instances of each program depended on (every
 * instance must meet the condition). An unknown program (removed by a
 * reload) counts as unmet.
 */
export function judgeDependencies(
  deps: readonly Dependency[],
  instancesOf: (program: string) => readonly InstanceFacts[],
): Verdict {
  const unmet: string[] = [];
  const failures: string[] = [];
  for (const dep of deps) {
    const instances = instancesOf(dep.program);
    if (instances.length > 0 && instances.every((i) => meets(dep.condition, i))) continue;
    unmet.push(`${dep.program} (${dep.condition})`);
    const failure = instances.map((i) => failed(dep, i)).find((f) => f !== null);
    if (failure !== undefined && failure !== null) failures.push(failure);
  }
  if (unmet.length === 0) return { kind: "met" };
  const waitingFor = unmet.join(", ");
  if (failures.length > 0) return { kind: "blocked", waitingFor, blockedBy: failures.join(", ") };
  return { kind: "waiting", waitingFor };
}

/** Whether one instance meets a condition. */
export function meets(condition: DependencyCondition, i: InstanceFacts): boolean {
  switch (condition) {
    case "running":
      return i.state === "RUNNING";
    case "healthy":
      return i.state === "RUNNING" && i.ready === true;
    case "completed":
      return i.state === "EXITED";
    case "completed_successfully":
      return i.state === "EXITED" && i.expected === true;
  }
}

/** Why an instance will not meet a condition without outside help, or null. */
function failed(dep: Dependency, i: InstanceFacts): string | null {
  if (i.state === "FATAL") return `${dep.program} is FATAL`;
  if (dep.condition === "completed_successfully" && i.state === "EXITED" && i.expected === false) {
    return `${dep.program} exited unexpectedly (${describeExit(i.exitcode, i.signal)})`;
  }
  if (i.state === "BLOCKED") return `${dep.program} is BLOCKED`;
  return null;
}
