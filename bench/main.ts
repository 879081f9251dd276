/**
 * `deno task bench`: taskmaster against a private supervisord, measured from
 * the outside (/proc), alternating, median of the repetitions (`stop`: at
 * least 5 in a full run, see stop.ts).
 *
 * ```
 * deno run --allow-all bench/main.ts [--quick] [--only spawn,restart,stop,output,status,crash,scale,linear]
 *                                    [--reps N] [--sizes N,N,...] [--out FILE.jsonl]
 *                                    [--taskmaster-setting key=value]...
 * ```
 *
 * `linear` (numprocs 100 … 2,000, or `--sizes`) runs only when named in
 * `--only`: it takes long on a slow machine.
 *
 * Prints one table (scenario, figure, C floor, taskmaster, supervisord, ratios) and
 * appends one JSON line per figure to `--out` (default bench/results.jsonl).
 *
 * @module
 */

import { closeAll, type Figure, print, progress, type ScenarioOptions } from "./_common.ts";
import { ensureSupervisord, launchSupervisord } from "./_supervisord.ts";
import { launchTaskmaster, taskmasterArgv } from "./_taskmaster.ts";
import { useTaskmasterSettings } from "./_launch.ts";
import { runSpawn } from "./spawn.ts";
import { runRestart } from "./restart.ts";
import { MIN_FULL_REPS, runStop } from "./stop.ts";
import { runCapture } from "./capture.ts";
import { runStatus } from "./status.ts";
import { runCrash } from "./crash.ts";
import { runScale } from "./scale.ts";
import { runLinear } from "./linear.ts";

const SCENARIOS: Record<string, (opts: ScenarioOptions) => Promise<Figure[]>> = {
  spawn: runSpawn,
  restart: runRestart,
  stop: runStop,
  output: runCapture,
  status: runStatus,
  crash: runCrash,
  scale: runScale,
  linear: runLinear,
};

/** Scenarios left out unless `--only` names them. */
const OPT_IN = new Set(["linear"]);

/** The machine the numbers were taken on. */
export interface MachineInfo {
  readonly cores: number;
  readonly cpu: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly deno: string;
  readonly supervisord: string;
}

async function machineInfo(supervisord: string): Promise<MachineInfo> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const kb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? NaN);
  return {
    cores: navigator.hardwareConcurrency,
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    memoryGiB: Math.round(kb / 1024 / 1024 * 10) / 10,
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    supervisord,
  };
}

interface Args {
  quick: boolean;
  only: string[];
  out: string;
  reps: number | null;
  sizes: number[] | undefined;
  /** `--taskmaster-setting key=value`: added to every taskmaster config of the run. */
  settings: Record<string, string>;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    quick: false,
    only: Object.keys(SCENARIOS).filter((name) => !OPT_IN.has(name)),
    out: new URL("./results.jsonl", import.meta.url).pathname,
    reps: null,
    sizes: undefined,
    settings: {},
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes("=") ? arg.split("=", 2) : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === "--quick") args.quick = true;
    else if (flag === "--only") args.only = value().split(",").map((s) => s.trim()).filter(Boolean);
    else if (flag === "--out") args.out = value();
    else if (flag === "--reps") args.reps = Number(value());
    else if (flag === "--sizes") args.sizes = value().split(",").map(Number);
    else if (flag === "--taskmaster-setting") {
      const [key, setting] = value().split(/=(.*)/s, 2);
      if (!key || setting === undefined) throw new Error(`${flag} needs key=value`);
      args.settings[key] = setting;
    } else throw new Error(`unknown option ${arg}`);
  }
  for (const name of args.only) {
    if (!(name in SCENARIOS)) {
      throw new Error(`unknown scenario ${name} (have: ${Object.keys(SCENARIOS).join(", ")})`);
    }
  }
  if (args.reps !== null && !(Number.isInteger(args.reps) && args.reps > 0)) {
    throw new Error("--reps needs a positive integer");
  }
  if (args.sizes?.some((n) => !(Number.isInteger(n) && n > 0))) {
    throw new Error("--sizes needs positive integers, comma-separated");
  }
  return args;
}

function formatValue(value: number | string | null, unit: string): string {
  if (value === null) return "-";
  if (typeof value === "string") return value;
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = unit === "s" && abs < 10 ? 2 : abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${unit}`;
}

/** The results table, one row per figure. */
export function formatTable(figures: readonly Figure[]): string {
  const rows = [[
    "scenario",
    "figure",
    "C floor",
    "taskmaster",
    "supervisord",
    "tm ÷ sv",
    "tm ÷ floor",
  ]];
  for (const f of figures) {
    rows.push([
      f.scenario,
      f.figure,
      formatValue(f.floor ?? null, f.unit),
      formatValue(f.taskmaster, f.unit),
      formatValue(f.supervisord, f.unit),
      f.ratio === null ? "-" : f.ratio.toFixed(3),
      f.floorRatio === null || f.floorRatio === undefined ? "-" : f.floorRatio.toFixed(2),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    "| " + r.map((c, i) => i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)).join(" | ") +
    " |";
  const sep = "|" + widths.map((w, i) => (i >= 2 ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2)))
    .join("|") +
    "|";
  return [line(rows[0]!), sep, ...rows.slice(1).map(line)].join("\n");
}

/** Fills Deno's module cache and Python's, so no one pays first-run costs in a timing. */
async function warmUp(): Promise<void> {
  const programs = [{ name: "warm", cmd: "sleep 100000", starttime: 0 }];
  for (const launcher of [launchTaskmaster, launchSupervisord]) {
    const daemon = await launcher(programs);
    try {
      await daemon.ready();
      await new Deno.Command(daemon.clientArgv(["status"])[0]!, {
        args: daemon.clientArgv(["status"]).slice(1),
        stdout: "null",
        stderr: "null",
      }).output();
    } finally {
      await daemon.close();
    }
  }
  await new Deno.Command(taskmasterArgv(["--version"])[0]!, {
    args: taskmasterArgv(["--version"]).slice(1),
    stdout: "null",
  }).output();
}

async function main(): Promise<number> {
  const args = parseArgs(Deno.args);
  const reps = args.reps ?? (args.quick ? 1 : 3);
  const opts: ScenarioOptions = { quick: args.quick, reps, sizes: args.sizes };
  useTaskmasterSettings(args.settings);
  const started = performance.now();
  const version = await ensureSupervisord();
  const machine = await machineInfo(version);
  print(
    `taskmaster vs supervisord ${machine.supervisord} — ${args.quick ? "quick" : "full"} run, ` +
      `median of ${reps}${
        args.quick ? "" : ` (stop: at least ${MIN_FULL_REPS})`
      }; ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, ` +
      `Linux ${machine.kernel}, Deno ${machine.deno}`,
  );
  progress("warming up (module caches)");
  await warmUp();
  const figures: Figure[] = [];
  const timestamp = new Date().toISOString();
  let failed = false;
  for (const name of args.only) {
    const t0 = performance.now();
    progress(`scenario ${name}`);
    try {
      const results = await SCENARIOS[name]!(opts);
      figures.push(...results);
      const lines = results.map((f) =>
        JSON.stringify({ ...f, quick: args.quick, timestamp, machine }) + "\n"
      );
      await Deno.writeTextFile(args.out, lines.join(""), { append: true });
    } catch (error) {
      failed = true;
      progress(`scenario ${name} FAILED: ${error instanceof Error ? error.stack : error}`);
    } finally {
      await closeAll();
    }
    progress(`scenario ${name} took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  print("");
  print(formatTable(figures));
  print("");
  print(
    `${figures.length} figures in ${((performance.now() - started) / 1000).toFixed(0)} s; ` +
      `JSON lines appended to ${args.out}`,
  );
  return failed ? 1 : 0;
}

if (import.meta.main) {
  const onSignal = () => {
    progress("interrupted: stopping every daemon the bench started");
    closeAll().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    Deno.exitCode = await main();
  } finally {
    await closeAll();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}
