import assert from "node:assert/strict";
import { type InstanceFacts, judgeDependencies } from "../../src/supervisor/dependencies.ts";
import type { Dependency } from "../../src/config/types.ts";

const fact = (state: InstanceFacts["state"], more: Partial<InstanceFacts> = {}): InstanceFacts => ({
  state,
  expected: null,
  exitcode: null,
  signal: null,
  ready: null,
  ...more,
});

const API: Dependency[] = [
  { program: "db", condition: "healthy" },
  { program: "migrate", condition: "completed_successfully" },
];

Deno.test("judgeDependencies() waits, naming every unmet dependency and its condition", () => {
  const v = judgeDependencies(
    API,
    (p) => p === "db" ? [fact("RUNNING", { ready: false })] : [fact("STOPPED")],
  );
  assert.deepEqual(v, {
    kind: "waiting",
    waitingFor: "db (healthy), migrate (completed_successfully)",
  });
});

Deno.test("judgeDependencies() is met when db is ready and migrate exited as expected", () => {
  const v = judgeDependencies(
    API,
    (p) =>
      p === "db"
        ? [fact("RUNNING", { ready: true })]
        : [fact("EXITED", { expected: true, exitcode: 0 })],
  );
  assert.deepEqual(v, { kind: "met" });
});

Deno.test("judgeDependencies() blocks on FATAL and on an unexpected exit of completed_successfully", () => {
  assert.deepEqual(
    judgeDependencies(
      API,
      (p) => p === "db" ? [fact("FATAL")] : [fact("EXITED", { expected: false, exitcode: 3 })],
    ),
    {
      kind: "blocked",
      waitingFor: "db (healthy), migrate (completed_successfully)",
      blockedBy: "db is FATAL, migrate exited unexpectedly (exit status 3)",
    },
  );
  // `completed` accepts any exit code.
  assert.deepEqual(
    judgeDependencies([{ program: "job", condition: "completed" }], () => [
      fact("EXITED", { expected: false, exitcode: 3 }),
    ]),
    { kind: "met" },
  );
});

Deno.test("judgeDependencies() needs every instance of a numprocs program", () => {
  const deps: Dependency[] = [{ program: "web", condition: "running" }];
  assert.equal(judgeDependencies(deps, () => [fact("RUNNING"), fact("STARTING")]).kind, "waiting");
  assert.equal(judgeDependencies(deps, () => [fact("RUNNING"), fact("RUNNING")]).kind, "met");
  // A program removed by a reload is never met.
  assert.equal(judgeDependencies(deps, () => []).kind, "waiting");
});
