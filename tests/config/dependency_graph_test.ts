import assert from "node:assert/strict";
import {
  dependencyLevels,
  findCycles,
  withDependencies,
  withDependents,
} from "../../src/config/dependency_graph.ts";

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

Deno.test("findCycles() names a whole cycle, starting from its first program", () => {
  const g = graph({ db: [], api: ["migrate", "db"], migrate: ["db", "api"], web: ["api"] });
  assert.deepEqual(findCycles(g), [["api", "migrate", "api"]]);
});

Deno.test("findCycles() finds a long cycle and two separate ones", () => {
  const g = graph({ a: ["b"], b: ["c"], c: ["d"], d: ["a"], x: ["y"], y: ["x"], z: [] });
  assert.deepEqual(findCycles(g), [["a", "b", "c", "d", "a"], ["x", "y", "x"]]);
});

Deno.test("findCycles() ignores self-dependencies and unknown names; a DAG has none", () => {
  assert.deepEqual(findCycles(graph({ a: ["a", "ghost"], b: ["a"], c: ["a", "b"] })), []);
});

Deno.test("findCycles() handles a 5000-deep chain without overflowing", () => {
  const edges: Record<string, string[]> = {};
  for (let i = 0; i < 5000; i++) edges[`p${i}`] = i === 0 ? [] : [`p${i - 1}`];
  assert.deepEqual(findCycles(graph(edges)), []);
  edges.p0 = ["p4999"];
  assert.equal(findCycles(graph(edges))[0]?.length, 5001);
});

Deno.test("dependencyLevels() puts each program one above its deepest dependency", () => {
  const g = graph({ api: ["db", "migrate"], migrate: ["db"], db: [], cron: [] });
  assert.deepEqual(
    Object.fromEntries(dependencyLevels(g)),
    { api: 2, migrate: 1, db: 0, cron: 0 },
  );
});

Deno.test("withDependencies() and withDependents() follow edges transitively", () => {
  const g = graph({ api: ["migrate"], migrate: ["db"], db: [], web: ["api"], cron: [] });
  assert.deepEqual([...withDependencies(g, ["api"])].sort(), ["api", "db", "migrate"]);
  assert.deepEqual([...withDependents(g, ["db"])].sort(), ["api", "db", "migrate", "web"]);
  assert.deepEqual([...withDependents(g, ["cron"])], ["cron"]);
});
