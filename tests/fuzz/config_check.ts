/**
 * Runs one config fuzz case and says what is wrong with the outcome, if
 * anything: shared by the test (fixed seeds) and `deno task fuzz`.
 *
 * @module
 */

import { loadConfig } from "../../src/config/load.ts";
import { formatConfigIssue } from "../../src/config/validate.ts";
import { accountLookup, parsePasswd } from "../../src/config/accounts.ts";
import { RUN_FLAGS } from "../../src/permissions.ts";
import type { FuzzCase } from "./config_mutations.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const lookupUser = accountLookup(parsePasswd("root:x:0:0:root:/root:/bin/sh"));

/** Each run must finish within this (the issue's bound), checked by `deno task fuzz`. */
export const MAX_RUN_MS = 1_000;

/** V8 heap cap of a `check` process: more and it dies, which fails the case. */
export const MAX_HEAP_MB = 200;

/** The result of one case: null when fine, else why not. */
export type Verdict = { readonly ms: number; readonly problem: string | null };

/** Loads the case in this process: never throws, positions on every issue, quick. */
export async function checkInProcess(
  c: FuzzCase,
  dir: string,
  maxMs = MAX_RUN_MS,
): Promise<Verdict> {
  const file = `${dir}/fuzz-${c.seed}.yaml`;
  await Deno.writeFile(file, c.bytes);
  const start = performance.now();
  let problem: string | null = null;
  try {
    const r = await loadConfig(file, { isRoot: true, lookupUser });
    if (!r.ok) {
      const bad = r.issues.map(formatConfigIssue).find((line) =>
        !line.startsWith(`${file}:`) || !/^[^:]+:\d+:\d+: /.test(line)
      );
      if (bad !== undefined) problem = `issue without file:line:col: ${bad}`;
    }
  } catch (error) {
    problem = `threw: ${error instanceof Error ? error.stack : error}`;
  } finally {
    await Deno.remove(file).catch(() => {});
  }
  const ms = performance.now() - start;
  if (problem === null && ms > maxMs) problem = `took ${Math.round(ms)} ms`;
  return { ms, problem };
}

/** `taskmaster check -c FILE` as a process with a capped heap: exit 0 or 2, no stack trace. */
export async function checkAsProcess(c: FuzzCase, dir: string): Promise<Verdict> {
  const file = `${dir}/fuzz-${c.seed}.yaml`;
  await Deno.writeFile(file, c.bytes);
  const flags = RUN_FLAGS.map((f) =>
    f.startsWith("--v8-flags=") ? `${f},--max-old-space-size=${MAX_HEAP_MB}` : f
  );
  const start = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...flags, MAIN, "check", "-c", file],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - start;
  await Deno.remove(file).catch(() => {});
  const stderr = new TextDecoder().decode(out.stderr);
  let problem: string | null = null;
  if (out.code !== 0 && out.code !== 2) problem = `exit ${out.code}: ${stderr.slice(0, 500)}`;
  else if (/^\s+at |internal error|Uncaught|panicked/m.test(stderr)) {
    problem = `stack trace: ${stderr.slice(0, 500)}`;
  } else if (out.code === 2) {
    const lines = stderr.trimEnd().split("\n");
    // The last line is the count: "3 errors in FILE".
    if (!/^\d+ errors? in /.test(lines.pop() ?? "")) problem = `no error count: ${stderr}`;
    const bad = lines.find((line) =>
      !line.startsWith(`${file}:`) || !/^[^:]+:\d+:\d+: /.test(line)
    );
    if (bad !== undefined) problem = `error without file:line:col: ${bad}`;
  }
  return { ms, problem };
}
