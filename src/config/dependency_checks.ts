/**
 * The cross-program checks of `depends_on`, run once every program has been
 * read: a dependency must name a declared program other than itself, a
 * `healthy` condition needs a readiness probe to ever hold, and no cycle.
 *
 * @module
 */

import { findCycles } from "./dependency_graph.ts";
import type { IssueList } from "./issues.ts";
import type { WrittenDependency } from "./orchestration.ts";
import type { Pos } from "./parse.ts";
import { didYouMean } from "./suggest.ts";
import type { ProgramConfig } from "./types.ts";

/**
 * Cross-program checks of `depends_on`: unknown names, self-dependencies,
 * `healthy` on a program without readiness, and cycles, each cycle named in
 * full (`api -> migrate -> api`) on every program in it.
 */
export function checkDependencies(
  written: ReadonlyMap<string, WrittenDependency[]>,
  declared: ReadonlyMap<string, Pos>,
  programs: ReadonlyMap<string, ProgramConfig>,
  issues: IssueList,
): void {
  const names = [...declared.keys()];
  const graph = new Map<string, string[]>();
  for (const [program, deps] of written) {
    if (!declared.has(program)) continue;
    const edges: string[] = [];
    for (const dep of deps) {
      if (dep.program === program) {
        issues.add(dep.pos, program, "depends_on", `a program cannot depend on itself`);
      } else if (!declared.has(dep.program)) {
        issues.add(
          dep.pos,
          program,
          "depends_on",
          `unknown program "${dep.program}"${didYouMean(dep.program, names)}`,
        );
      } else {
        edges.push(dep.program);
        const target = programs.get(dep.program);
        if (dep.condition === "healthy" && target !== undefined && target.readiness === null) {
          issues.add(
            dep.pos,
            program,
            "depends_on",
            `"${dep.program}" has no readiness probe, so it can never be healthy (give it a "readiness:" or use "running")`,
          );
        }
      }
    }
    graph.set(program, edges);
  }
  for (const cycle of findCycles(graph)) {
    // Each member reports the cycle as seen from itself: `api -> migrate -> api`.
    const ring = cycle.slice(0, -1);
    ring.forEach((program, i) => {
      const path = [...ring.slice(i), ...ring.slice(0, i), program];
      const dep = written.get(program)?.find((d) => d.program === path[1]);
      issues.add(dep?.pos ?? null, program, "depends_on", `dependency cycle: ${path.join(" -> ")}`);
    });
  }
}
