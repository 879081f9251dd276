/**
 * Output relay benchmark: how fast taskmaster captures a child that writes
 * 100-byte lines as fast as it can, against the same producer redirected
 * straight to a file by the shell (the floor), in the same run.
 *
 * `deno run -A bench/output.ts [--quick] [--mb 300] [--reps 3]`
 *
 * Cases: `floor` (sh redirect), `relay` (OutputHub, no rotation), `rotate`
 * (maxBytes 10 MB, backups 10), `timestamps`. Each is timed from spawn to
 * the last byte written; files are deleted between runs (outside the timing),
 * cases interleave within a repetition, and the median is reported.
 *
 * @module
 */

import { OutputHub } from "../src/output/output_hub.ts";
import type { OutputTarget } from "../src/output/relay.ts";

/** Options of {@link runOutputBench}. */
export interface OutputBenchOptions {
  /** Megabytes (10^6) produced per run. @default 300 */
  readonly mb?: number;
  /** Repetitions; the median is reported. @default 3 */
  readonly reps?: number;
  /** Called with a line of progress; silent by default. */
  readonly progress?: (line: string) => void;
}

/** One case's result (medians over the repetitions). */
export interface OutputBenchResult {
  readonly name: "floor" | "relay" | "rotate" | "timestamps";
  readonly mb: number;
  readonly reps: number;
  readonly seconds: number;
  readonly mbPerSec: number;
  /** mbPerSec divided by the floor's, same run. */
  readonly ratioToFloor: number;
  /** CPU (user+sys) of the relaying process per 100 MB; null for the floor (no relay). */
  readonly cpuSecPer100MB: number | null;
  /** Every run's output had the expected size and content. */
  readonly verified: boolean;
}

const LINE = "x".repeat(99); // + "\n" from yes = 100 bytes
const TIMESTAMP_PREFIX = "2026-11-26T07:55:39.123Z ".length;

type CaseName = OutputBenchResult["name"];
interface Sample {
  seconds: number;
  cpu: number | null;
  ok: boolean;
}

/** Runs every case `reps` times and returns one median result per case. */
export async function runOutputBench(
  options: OutputBenchOptions = {},
): Promise<OutputBenchResult[]> {
  const mb = options.mb ?? 300;
  const reps = options.reps ?? 3;
  const bytes = Math.round(mb * 1_000_000);
  const producer = `yes '${LINE}' | head -c ${bytes}`;
  const dir = await Deno.makeTempDir({ prefix: "tm_output_bench_" });
  const names: CaseName[] = ["floor", "relay", "rotate", "timestamps"];
  const samples = new Map<CaseName, Sample[]>(names.map((name) => [name, []]));
  try {
    const expected = await floorDigest(dir, producer);
    for (let rep = 0; rep < reps; rep++) {
      for (const name of names) {
        const sample = await runCase(name, dir, producer, bytes, expected);
        samples.get(name)?.push(sample);
        options.progress?.(
          `rep ${rep + 1}/${reps} ${name}: ${(mb / sample.seconds).toFixed(0)} MB/s` +
            (sample.ok ? "" : " (OUTPUT MISMATCH)"),
        );
        await emptyDir(dir);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const floorSeconds = median((samples.get("floor") ?? []).map((s) => s.seconds));
  return names.map((name) => {
    const list = samples.get(name) ?? [];
    const seconds = median(list.map((s) => s.seconds));
    const cpus = list.flatMap((s) => s.cpu === null ? [] : [s.cpu]);
    return {
      name,
      mb,
      reps,
      seconds,
      mbPerSec: mb / seconds,
      ratioToFloor: floorSeconds / seconds,
      cpuSecPer100MB: cpus.length === 0 ? null : median(cpus) * 100 / mb,
      verified: list.every((s) => s.ok),
    };
  });
}

async function runCase(
  name: CaseName,
  dir: string,
  producer: string,
  bytes: number,
  expected: string,
): Promise<Sample> {
  const path = `${dir}/${name}.log`;
  if (name === "floor") {
    const start = performance.now();
    const status = await new Deno.Command("sh", { args: ["-c", `${producer} > '${path}'`] })
      .spawn().status;
    const seconds = (performance.now() - start) / 1000;
    return { seconds, cpu: null, ok: status.success && await sha256sum([path]) === expected };
  }
  const target: OutputTarget = {
    path,
    maxBytes: name === "rotate" ? 10_000_000 : 0,
    backups: name === "rotate" ? 10 : 0,
    timestamps: name === "timestamps",
    flushPartialAfterMs: 200,
  };
  const hub = new OutputHub();
  const cpuBefore = processCpuSeconds();
  const start = performance.now();
  const child = new Deno.Command("sh", { args: ["-c", producer], stdout: "piped" }).spawn();
  await Promise.all([hub.relay(`bench:${name}`, child.stdout, target), child.status]);
  await hub.close();
  const seconds = (performance.now() - start) / 1000;
  const cpu = processCpuSeconds() - cpuBefore;
  let ok: boolean;
  if (name === "relay") {
    ok = await sha256sum([path]) === expected;
  } else if (name === "rotate") {
    // Oldest first: name.10 … name.1, name. Only 10 backups of 10 MB are kept,
    // so compare sizes and that every kept file holds whole lines.
    const files = [];
    for (let i = 10; i >= 1; i--) files.push(`${path}.${i}`);
    files.push(path);
    const sizes = await Promise.all(files.map((f) => Deno.stat(f).then((s) => s.size, () => 0)));
    const total = sizes.reduce((a, b) => a + b, 0);
    const produced = Math.ceil(bytes / 10_000_000);
    const kept = Math.min(produced, files.length);
    ok = sizes.every((s) => s <= 10_000_000 && s % 100 === 0) &&
      total === bytes - (produced - kept) * 10_000_000;
  } else {
    const size = (await Deno.stat(path)).size;
    ok = size === bytes + (bytes / 100) * TIMESTAMP_PREFIX;
  }
  return { seconds, cpu, ok };
}

/** sha256 of the floor's output, the reference for the relay case. */
async function floorDigest(dir: string, producer: string): Promise<string> {
  const path = `${dir}/reference.log`;
  await new Deno.Command("sh", { args: ["-c", `${producer} > '${path}'`] }).output();
  const digest = await sha256sum([path]);
  await Deno.remove(path);
  return digest;
}

/** sha256 of the concatenation of `files`, by the native `sha256sum` (300 MB stays out of the heap). */
async function sha256sum(files: string[]): Promise<string> {
  const quoted = files.map((f) => `'${f}'`).join(" ");
  const out = await new Deno.Command("sh", { args: ["-c", `cat ${quoted} | sha256sum`] }).output();
  return new TextDecoder().decode(out.stdout).split(" ")[0] ?? "";
}

async function emptyDir(dir: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) await Deno.remove(`${dir}/${entry.name}`);
}

/** utime + stime of this process (all threads), from /proc/self/stat, in seconds. */
function processCpuSeconds(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  // Fields after "(comm) ": state is field 3; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticksPerSecond = 100; // CLK_TCK on Linux
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[mid] ?? NaN
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

function formatTable(results: OutputBenchResult[]): string {
  const rows = [["case", "MB/s", "ratio", "cpu s/100MB", "seconds", "verified"]];
  for (const r of results) {
    rows.push([
      r.name,
      r.mbPerSec.toFixed(0),
      r.ratioToFloor.toFixed(2),
      r.cpuSecPer100MB === null ? "-" : r.cpuSecPer100MB.toFixed(3),
      r.seconds.toFixed(3),
      r.verified ? "yes" : "NO",
    ]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length))) ??
    [];
  return rows.map((row) => row.map((cell, i) => cell.padStart(widths[i] ?? 0)).join("  "))
    .join("\n");
}

if (import.meta.main) {
  const args = Deno.args;
  const quick = args.includes("--quick");
  const flag = (name: string): number | undefined => {
    const i = args.indexOf(name);
    const value = i >= 0 ? Number(args[i + 1]) : NaN;
    return Number.isFinite(value) && value > 0 ? value : undefined;
  };
  const mb = flag("--mb") ?? 300;
  const reps = flag("--reps") ?? (quick ? 1 : 3);
  const encoder = new TextEncoder();
  const print = (line: string) => Deno.stdout.writeSync(encoder.encode(line + "\n"));
  print(`output relay: ${mb} MB of 100-byte lines, median of ${reps}`);
  const results = await runOutputBench({ mb, reps, progress: print });
  print(formatTable(results));
  if (results.some((r) => !r.verified)) Deno.exitCode = 1;
}
