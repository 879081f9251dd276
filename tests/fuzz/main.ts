/**
 * `deno task fuzz [--runs N] [--seed S] [--in-process]`: the config fuzzer's
 * long run. Each case runs `taskmaster check` as a process (exit 0 or 2,
 * positions, no stack trace, a 200 MB heap) unless --in-process.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fuzzCase } from "./config_mutations.ts";
import { checkAsProcess, checkInProcess, MAX_RUN_MS } from "./config_check.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "1000" },
    seed: { type: "string" },
    "in-process": { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
const first = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const out = (line: string) => Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`));
out(`config fuzz: ${runs} runs from seed ${first}`);
const dir = await Deno.makeTempDir({ prefix: "tm-fuzz-" });
let failed = 0;
let slowest = 0;
for (let i = 0; i < runs; i++) {
  const c = fuzzCase(first + i);
  const verdict = values["in-process"]
    ? await checkInProcess(c, dir)
    : await checkAsProcess(c, dir);
  slowest = Math.max(slowest, verdict.ms);
  if (verdict.problem !== null) {
    failed++;
    out(`FAIL seed ${c.seed} (${c.steps.join(", ")}): ${verdict.problem}`);
  }
}
await Deno.remove(dir, { recursive: true });
out(
  `${runs - failed}/${runs} passed; slowest run ${
    Math.round(slowest)
  } ms (bound ${MAX_RUN_MS} ms in-process)`,
);
Deno.exit(failed === 0 ? 0 : 1);
