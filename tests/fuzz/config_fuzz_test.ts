import assert from "node:assert/strict";
import { fuzzCase } from "./config_mutations.ts";
import {
  checkAsProcess,
  checkInProcess,
  LOADED_MACHINE_FACTOR,
  MAX_RUN_MS,
} from "./config_check.ts";

// Fixed seeds in CI; `deno task fuzz --runs N [--seed S]` runs more.
const IN_PROCESS_RUNS = 150;
const PROCESS_RUNS = 6;

Deno.test("config fuzzer: 150 mutated configs load or fail with file:line:col, never throwing, each quick", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tm-fuzz-" });
  try {
    const failures: string[] = [];
    for (let seed = 1; seed <= IN_PROCESS_RUNS; seed++) {
      const c = fuzzCase(seed);
      const verdict = await checkInProcess(c, dir, MAX_RUN_MS * LOADED_MACHINE_FACTOR);
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
