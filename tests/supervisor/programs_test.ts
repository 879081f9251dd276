import assert from "node:assert/strict";
import { ProgramTable } from "../../src/supervisor/programs.ts";
import type { ProgramConfig } from "../../src/config/types.ts";
import type { ProcessRunner } from "../../src/process/runner.ts";
import type { ProcessState } from "../../src/process/state.ts";

/** Just what the table reads of a runner: its program, index, priority and state. */
function runner(program: string, index: number, priority: number, state: ProcessState) {
  return {
    program,
    index,
    state,
    name: `${program}:${index}`,
    config: { priority } as ProgramConfig,
  } as unknown as ProcessRunner;
}

function table(): ProgramTable {
  const programs = new ProgramTable();
  // File order: web, then db; db starts first by priority.
  programs.add({ name: "web", priority: 999 } as ProgramConfig, [
    runner("web", 0, 999, "WAITING"),
    runner("web", 1, 999, "RUNNING"),
    runner("web", 2, 999, "BLOCKED"),
  ]);
  programs.add({ name: "db", priority: 10 } as ProgramConfig, [
    runner("db", 0, 10, "BLOCKED"),
    runner("db", 1, 10, "STOPPED"),
  ]);
  return programs;
}

Deno.test("inStates lists the instances in those states in start order, and nothing else", () => {
  const held = new Set<ProcessState>(["WAITING", "BLOCKED"]);
  assert.deepEqual(table().inStates(held).map((r) => r.name), ["db:0", "web:0", "web:2"]);
  assert.deepEqual(table().inStates(new Set(["FATAL"])), []);
  assert.deepEqual(table().inStates(new Set(["RUNNING"])).map((r) => r.name), ["web:1"]);
});

Deno.test("an instance is found by its exact name, and a near miss is a BAD_NAME", () => {
  const programs = table();
  assert.equal(programs.instance("web:2").name, "web:2");
  assert.deepEqual(programs.resolve(["db:1", "web:0"]).map((r) => r.name), ["db:1", "web:0"]);
  for (const name of ["web:3", "web:", "web:02", "nope:1"]) {
    assert.throws(() => programs.instance(name), { code: "BAD_NAME" }, name);
  }
  const single = new ProgramTable();
  single.add({ name: "api", priority: 1 } as ProgramConfig, [
    { ...runner("api", 0, 1, "RUNNING"), name: "api" } as ProcessRunner,
  ]);
  assert.equal(single.instance("api").name, "api");
  assert.throws(() => single.instance("api:0"), { code: "BAD_NAME" });
});

Deno.test("ProgramTable.hasDependencies: true once any program declares depends_on, false again when it goes", () => {
  const programs = new ProgramTable();
  programs.add({ name: "db", dependsOn: [] } as unknown as ProgramConfig, []);
  assert.equal(programs.hasDependencies(), false);
  programs.add(
    {
      name: "web",
      dependsOn: [{ program: "db", condition: "running" }],
    } as unknown as ProgramConfig,
    [],
  );
  assert.equal(programs.hasDependencies(), true);
  programs.delete("web");
  assert.equal(programs.hasDependencies(), false);
});
