/**
 * Scenario 4, output: the output issue's capture of 100-byte lines as fast
 * as a child writes them. `runOutputBench` (bench/output.ts, the output
 * owner's) gives the shell-redirect floor and taskmaster's OutputHub relay
 * in-process; on top of it the same producer runs as a program of each real
 * daemon (stdout to a file, never rotated: taskmaster `stdout_maxbytes: 0`,
 * supervisord `stdout_logfile_maxbytes=0`), started over the socket and
 * timed until the file holds every byte, with the daemon's CPU from /proc.
 *
 * Each rep also runs the same capture as users configure it, through each
 * real daemon, right after the plain one: rotated every sixth of it (50 MB
 * of 300) into up to 10 backups (taskmaster and supervisord), and with a
 * timestamp on every line (taskmaster; supervisord has no such option).
 * Each is timed until every byte is in the files (rotated: the backups and
 * the live file; timestamps: the lines with their 25-byte prefixes) and
 * verified whole (rotated: the files' concatenation, oldest first;
 * timestamps: every line's prefix, then the lines without it), next to
 * the floor's plain redirect timed the same way in the same rep.
 *
 * @module
 */

import { fig, type Figure, type Kind, progress, Samples, type ScenarioOptions } from "./_common.ts";
import { launch, order } from "./_launch.ts";
import { cpuSeconds, pollUntil } from "./_proc.ts";
import { runOutputBench } from "./output.ts";

const LINE = "x".repeat(99);

/** The capture's producer: `bytes` of 100-byte lines, as fast as `yes` and `head` go. */
export function captureProducer(bytes: number): string {
  return `yes '${LINE}' | head -c ${bytes}`;
}
/** The rotated case rotates every sixth of the capture (50 MB of 300): 6 files, all kept. */
const ROTATE_PARTS = 6;
const ROTATE_BACKUPS = 10;
/** `2026-12-04T18:20:00.123Z ` */
export const STAMP_BYTES = 25;

/** How a capture is configured, and how its files are read back. */
type CaptureCase = "plain" | "rotated" | "timestamps";
const CASES: readonly CaptureCase[] = ["plain", "rotated", "timestamps"];

export async function runCapture(opts: ScenarioOptions): Promise<Figure[]> {
  const mb = opts.quick ? 50 : 300;
  const bytes = mb * 1_000_000;
  const producer = captureProducer(bytes);
  progress(`output: runOutputBench(${mb} MB, ${opts.reps} reps)`);
  const hub = await runOutputBench({ mb, reps: opts.reps, progress });
  const byName = new Map(hub.map((r) => [r.name, r]));
  const floor = byName.get("floor");

  const scratch = await Deno.makeTempDir({ prefix: "capture_bench_" });
  const samples = new Samples();
  /** The cases with a capture that did not match. */
  const mismatched = new Set<CaptureCase>();
  try {
    const reference = `${scratch}/reference.log`;
    await new Deno.Command("sh", { args: ["-c", `${producer} > '${reference}'`] }).output();
    const expected = await sha256Of(["cat", reference]);
    await Deno.remove(reference);
    for (let rep = 0; rep < opts.reps; rep++) {
      for (const capture of CASES) {
        // The floor's redirect in the same rep, next to each case (it neither rotates nor stamps).
        const kinds = capture === "timestamps"
          ? order(rep, true).filter((k) => k !== "supervisord")
          : order(rep, true);
        for (const kind of kinds) {
          const sample = await captureAs(kind, capture, `${scratch}/${kind}.${capture}.log`, {
            producer,
            bytes,
            expected,
          });
          if (!sample.ok) mismatched.add(capture);
          const key = capture === "plain" ? "" : `${capture}.`;
          samples.add(kind, `${key}mbps`, mb / sample.seconds);
          samples.add(kind, `${key}cpu`, sample.cpu * 100 / mb);
          progress(
            `output rep ${rep + 1} ${kind}${capture === "plain" ? "" : ` ${capture}`}: ` +
              `${(mb / sample.seconds).toFixed(0)} MB/s, daemon cpu ${sample.cpu.toFixed(2)} s` +
              `${sample.ok ? "" : " (OUTPUT MISMATCH)"}`,
          );
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
      mismatched.has("plain") ? "A CAPTURE DID NOT MATCH" : "sha256 of every capture verified",
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
  for (const capture of ["rotated", "timestamps"] as const) {
    const what = capture === "rotated"
      ? `rotated every ${(mb / ROTATE_PARTS).toFixed(0)} MB`
      : "timestamped lines";
    figures.push(
      fig(
        "output",
        `daemon relay, ${mb} MB, ${what}`,
        "MB/s",
        samples.both(`${capture}.mbps`),
        mb,
        reps,
        `${mismatched.has(capture) ? "A CAPTURE DID NOT MATCH; " : "every capture verified; "}` +
          `MB/s of the program's output; floor: the C floor's plain redirect in the same ` +
          `reps; daemon CPU s/100MB: taskmaster ${
            samples.median("taskmaster", `${capture}.cpu`)?.toFixed(3) ?? "-"
          }, supervisord ${samples.median("supervisord", `${capture}.cpu`)?.toFixed(3) ?? "-"}`,
      ),
    );
  }
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

interface CaptureSample {
  readonly seconds: number;
  readonly cpu: number;
  readonly ok: boolean;
}

/** One capture by a real daemon, configured as `capture` says; its files are removed after. */
async function captureAs(
  kind: Kind,
  asked: CaptureCase,
  file: string,
  { producer, bytes, expected }: { producer: string; bytes: number; expected: string },
): Promise<CaptureSample> {
  const capture = kind === "floor" ? "plain" : asked;
  const rotated = capture === "rotated";
  const backups = Array.from({ length: ROTATE_BACKUPS }, (_, i) => `${file}.${ROTATE_BACKUPS - i}`);
  const files = [...backups, file];
  const lines = bytes / (LINE.length + 1);
  const want = capture === "timestamps" ? bytes + lines * STAMP_BYTES : bytes;
  const daemon = await launch(kind, [{
    name: "producer",
    cmd: `/bin/sh -c "${producer}"`,
    starttime: 0,
    autostart: false,
    autorestart: "never",
    stdout: file,
    ...(rotated
      ? { stdoutMaxBytes: Math.floor(bytes / ROTATE_PARTS), stdoutBackups: ROTATE_BACKUPS }
      : {}),
    ...(capture === "timestamps" ? { timestamps: true } : {}),
  }]);
  try {
    await daemon.ready();
    const cpu0 = cpuSeconds(daemon.pid) ?? NaN;
    const t0 = performance.now();
    const started = daemon.start("producer");
    const done = await pollUntil(() => sizeOf(files) >= want ? true : null, {
      intervalMs: 2,
      timeoutMs: 120_000,
      what: `${kind}: ${bytes / 1_000_000} MB ${capture}`,
    });
    const cpu = (cpuSeconds(daemon.pid) ?? NaN) - cpu0;
    await started;
    // Oldest first; a rotated capture that never rotated is a failed one.
    const present = files.filter((f) => sizeOf([f]) > 0);
    const ok = capture === "timestamps"
      ? await stampsValid(file, lines) &&
        await sha256Of(["cut", "-d", " ", "-f", "2-", file]) === expected
      : (!rotated || present.length > 1) && await sha256Of(["cat", ...present]) === expected;
    return { seconds: (done.at - t0) / 1000, cpu, ok };
  } finally {
    await daemon.close();
    for (const f of files) await Deno.remove(f).catch(() => {});
  }
}

/** The sum of the sizes of those of `files` that exist. */
export function sizeOf(files: readonly string[]): number {
  let total = 0;
  for (const f of files) {
    try {
      total += Deno.statSync(f).size;
    } catch {
      // not rotated into yet
    }
  }
  return total;
}

/** sha256 of what `argv` prints. */
async function sha256Of(argv: readonly string[]): Promise<string> {
  const quoted = argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const out = await new Deno.Command("sh", {
    args: ["-c", `${quoted} | sha256sum`],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).split(" ")[0] ?? "";
}

/** Whether every one of `file`'s `lines` lines begins with an ISO timestamp and a space. */
async function stampsValid(file: string, lines: number): Promise<boolean> {
  const out = await new Deno.Command("grep", {
    args: [
      "-c",
      "-E",
      `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z x{${LINE.length}}$`,
      file,
    ],
    stdout: "piped",
  }).output();
  return Number(new TextDecoder().decode(out.stdout).trim()) === lines;
}
