import assert from "node:assert/strict";
import { fuzzCase } from "./config_mutations.ts";
import { checkAsProcess, checkInProcess } from "./config_check.ts";

// Fixed seeds in CI; `deno task fuzz --runs N [--seed S]` runs more and checks the
// 1 s bound per run, which a suite sharing 2 cores with 8 others cannot (a 1 MB
// value took 0.3 s alone and 13 s under the full parallel suite).
const IN_PROCESS_RUNS = 100;
const PROCESS_RUNS = 6;

Deno.test("config fuzzer: 100 mutated configs load or fail with file:line:col, never throwing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tm-fuzz-" });
  try {
    const failures: string[] = [];
    for (let seed = 1; seed <= IN_PROCESS_RUNS; seed++) {
      const c = fuzzCase(seed);
      const verdict = await checkInProcess(c, dir, Infinity);
      if (verdict.problem !== null) {
        failures.push(`seed ${seed} (${c.steps.join(", ")}): ${verdict.problem}`);
      }
    }
    assert.deepEqual(failures, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config fuzzer: `taskmaster check` exits 0 or 2 with positions, no stack trace, within a 200 MB heap", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tm-fuzz-" });
  try {
    // Seeds chosen to cover the heavy mutations (alias bomb, 1 MB value, nesting, bad UTF-8).
    const cases = Array.from({ length: PROCESS_RUNS }, (_, i) => fuzzCase(1000 + i));
    const verdicts = await Promise.all(cases.map((c) => checkAsProcess(c, dir)));
    const failures = verdicts.flatMap((v, i) =>
      v.problem === null
        ? []
        : [`seed ${cases[i]!.seed} (${cases[i]!.steps.join(", ")}): ${v.problem}`]
    );
    assert.deepEqual(failures, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
