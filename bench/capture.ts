/**
 * Scenario 4, output: the output issue's capture of 100-byte lines as fast
 * as a child writes them. `runOutputBench` (bench/output.ts, the output
 * owner's) gives the shell-redirect floor and taskmaster's OutputHub relay
 * in-process; on top of it the same producer runs as a program of each real
 * daemon (stdout to a file, never rotated: taskmaster `stdout_maxbytes: 0`,
 * supervisord `stdout_logfile_maxbytes=0`), started over the socket and
 * timed until the file holds every byte, with the daemon's CPU from /proc.
 *
 * @module
 */

import { fig, type Figure, type Kind, progress, Samples, type ScenarioOptions } from "./_common.ts";
import { launch, order } from "./_launch.ts";
import { cpuSeconds, pollUntil } from "./_proc.ts";
import { runOutputBench } from "./output.ts";

const LINE = "x".repeat(99);

async function sha256(path: string): Promise<string> {
  const out = await new Deno.Command("sha256sum", { args: [path], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).split(" ")[0] ?? "";
}

export async function runCapture(opts: ScenarioOptions): Promise<Figure[]> {
  const mb = opts.quick ? 50 : 300;
  const bytes = mb * 1_000_000;
  const producer = `yes '${LINE}' | head -c ${bytes}`;
  progress(`output: runOutputBench(${mb} MB, ${opts.reps} reps)`);
  const hub = await runOutputBench({ mb, reps: opts.reps, progress });
  const byName = new Map(hub.map((r) => [r.name, r]));
  const floor = byName.get("floor");

  const scratch = await Deno.makeTempDir({ prefix: "capture_bench_" });
  const samples = new Samples();
  let verified = true;
  try {
    const reference = `${scratch}/reference.log`;
    await new Deno.Command("sh", { args: ["-c", `${producer} > '${reference}'`] }).output();
    const expected = await sha256(reference);
    await Deno.remove(reference);
    for (let rep = 0; rep < opts.reps; rep++) {
      for (const kind of order(rep, true)) {
        const file = `${scratch}/${kind}.log`;
        const daemon = await launch(kind, [{
          name: "producer",
          cmd: `/bin/sh -c "${producer}"`,
          starttime: 0,
          autostart: false,
          autorestart: "never",
          stdout: file,
        }]);
        try {
          await daemon.ready();
          const cpu0 = cpuSeconds(daemon.pid) ?? NaN;
          const t0 = performance.now();
          const started = daemon.start("producer");
          const done = await pollUntil(() => {
            try {
              return Deno.statSync(file).size >= bytes ? true : null;
            } catch {
              return null;
            }
          }, { intervalMs: 2, timeoutMs: 120_000, what: `${kind}: ${mb} MB in the file` });
          const seconds = (done.at - t0) / 1000;
          const cpu = (cpuSeconds(daemon.pid) ?? NaN) - cpu0;
          await started;
          const ok = await sha256(file) === expected;
          verified &&= ok;
          samples.add(kind, "mbps", mb / seconds);
          samples.add(kind, "cpu", cpu * 100 / mb);
          progress(
            `output rep ${rep + 1} ${kind}: ${(mb / seconds).toFixed(0)} MB/s, daemon cpu ` +
              `${cpu.toFixed(2)} s${ok ? "" : " (OUTPUT MISMATCH)"}`,
          );
        } finally {
          await daemon.close();
          await Deno.remove(file).catch(() => {});
        }
      }
    }
  } finally {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
  const floorMbps = floor?.mbPerSec ?? NaN;
  const reps = opts.reps;
  const rel = (kind: Kind) => {
    const v = samples.median(kind, "mbps");
    return v === null ? null : v / floorMbps;
  };
  const figures = [
    fig(
      "output",
      `daemon relay, ${mb} MB to a file`,
      "MB/s",
      samples.both("mbps"),
      mb,
      reps,
      verified ? "sha256 of every capture verified" : "A CAPTURE DID NOT MATCH",
    ),
    fig("output", "daemon relay CPU", "s/100MB", samples.both("cpu"), mb, reps),
    fig(
      "output",
      "daemon relay / shell-redirect floor",
      "×",
      {
        taskmaster: rel("taskmaster"),
        supervisord: rel("supervisord"),
        floor: rel("floor"),
      },
      mb,
      reps,
    ),
    fig(
      "output",
      "shell-redirect floor (runOutputBench)",
      "MB/s",
      {
        taskmaster: floorMbps,
        supervisord: floorMbps,
      },
      mb,
      reps,
    ),
  ];
  for (const name of ["relay", "rotate", "timestamps"] as const) {
    const r = byName.get(name);
    if (r === undefined) continue;
    figures.push(
      fig(
        "output",
        `OutputHub ${name} (runOutputBench)`,
        "MB/s",
        {
          taskmaster: r.mbPerSec,
          supervisord: null,
          floor: floorMbps,
        },
        mb,
        reps,
        `${r.ratioToFloor.toFixed(2)}× floor, ` +
          `${r.cpuSecPer100MB?.toFixed(3) ?? "-"} cpu s/100MB${r.verified ? "" : ", NOT VERIFIED"}`,
      ),
    );
  }
  return figures;
}
