/**
 * `deno task bench:capture-ab`: a before and after for output capture.
 * The capture scenario's producer (`yes` of 100-byte lines through `head
 * -c`) runs as a program of a fresh daemon, its stdout to a file never
 * rotated, alternated between this checkout and each `--root DIR` (a
 * worktree of another commit, run with this checkout's flags), next to the
 * same producer redirected by the shell in the same round. For each
 * capture, timed from the `start` request: when the request was answered,
 * when the file had its first byte and when it had every byte; and, over
 * that span, the daemon's CPU (all threads, /proc/PID/stat), its main
 * thread's time on a CPU (/proc/PID/task/PID/schedstat) and how often that
 * thread gave the CPU up (voluntary context switches). `--timestamps`
 * captures with a timestamp on every line (the redirect has none);
 * `--rotate-mb N` rotates the capture every N MB into up to 10 backups (the
 * capture scenario's rotated case is `--rotate-mb 50`).
 *
 * The capture scenario reads one checkout against the floor, three reps.
 * A capture of 300 MB moves by 10–20% from one rep to the next here, more
 * than most changes to the relay: a change is judged on medians of
 * alternated captures (bench/RESULTS.md, twenty-fifth pass).
 *
 * ```
 * deno run --allow-all bench/capture_ab.ts [--reps 8] [--mb 300] [--settle-ms 0] [--timestamps] [--rotate-mb N] [--root DIR]...
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { median, print } from "./_common.ts";
import { captureProducer, sizeOf, STAMP_BYTES } from "./capture.ts";
import { cpuSeconds, mainThreadSchedule, mainThreadYields, pollUntil, sleep } from "./_proc.ts";
import { checkoutRoots, launchTaskmaster } from "./_taskmaster.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    reps: { type: "string", default: "8" },
    mb: { type: "string", default: "300" },
    // How long after the daemon answers before the capture starts (its start-up settles at ~0.6 s).
    "settle-ms": { type: "string", default: "0" },
    timestamps: { type: "boolean", default: false },
    "rotate-mb": { type: "string", default: "0" },
    root: { type: "string", multiple: true, default: [] },
  },
});
const REPS = Number(values.reps);
const BYTES = Number(values.mb) * 1_000_000;
const SETTLE_MS = Number(values["settle-ms"]);
const PRODUCER = captureProducer(BYTES);
const TIMESTAMPS = values.timestamps;
const ROTATE_BYTES = Number(values["rotate-mb"]) * 1_000_000;
const BACKUPS = 10;
/** What the file holds once every byte is in: each stamped 100-byte line has its prefix too. */
const CAPTURED = TIMESTAMPS ? BYTES + (BYTES / 100) * STAMP_BYTES : BYTES;
if (ROTATE_BYTES > 0 && ROTATE_BYTES * (BACKUPS + 1) < CAPTURED) {
  throw new Error(`--rotate-mb ${values["rotate-mb"]}: ${BACKUPS} backups cannot hold the capture`);
}
const ROOTS = checkoutRoots(values.root);
const REDIRECT = "shell redirect";

interface Capture {
  mbPerSec: number;
  answered: number;
  firstByte: number;
  cpu: number;
  mainCpu: number;
  yields: number;
}

async function redirect(dir: string): Promise<Capture> {
  const path = `${dir}/redirect.log`;
  const t0 = performance.now();
  await new Deno.Command("sh", { args: ["-c", `${PRODUCER} > '${path}'`] }).output();
  const seconds = (performance.now() - t0) / 1000;
  await Deno.remove(path);
  return {
    mbPerSec: BYTES / 1e6 / seconds,
    answered: 0,
    firstByte: 0,
    cpu: 0,
    mainCpu: 0,
    yields: 0,
  };
}

async function capture(root: string, dir: string): Promise<Capture> {
  const path = `${dir}/capture.log`;
  const files = ROTATE_BYTES > 0
    ? [path, ...Array.from({ length: BACKUPS }, (_, i) => `${path}.${i + 1}`)]
    : [path];
  const daemon = await launchTaskmaster([{
    name: "producer",
    cmd: `/bin/sh -c "${PRODUCER}"`,
    starttime: 0,
    autostart: false,
    autorestart: "never",
    stdout: path,
    timestamps: TIMESTAMPS,
    ...(ROTATE_BYTES > 0 ? { stdoutMaxBytes: ROTATE_BYTES, stdoutBackups: BACKUPS } : {}),
  }], { main: `${root}/main.ts` });
  try {
    await daemon.ready();
    await sleep(SETTLE_MS);
    const cpu0 = cpuSeconds(daemon.pid) ?? NaN;
    const mainCpu0 = mainThreadSchedule(daemon.pid).onCpu;
    const yields0 = mainThreadYields(daemon.pid);
    const t0 = performance.now();
    let answered = NaN;
    const started = daemon.start("producer").then(() => answered = performance.now() - t0);
    const first = await pollUntil(() => sizeOf([path]) > 0 ? true : null, {
      intervalMs: 1,
      timeoutMs: 30_000,
      what: `the first byte from ${root}`,
    });
    const done = await pollUntil(() => sizeOf(files) >= CAPTURED ? true : null, {
      intervalMs: 2,
      timeoutMs: 120_000,
      what: `${BYTES / 1e6} MB from ${root}`,
    });
    const cpu = ((cpuSeconds(daemon.pid) ?? NaN) - cpu0) * 1000;
    const mainCpu = (mainThreadSchedule(daemon.pid).onCpu - mainCpu0) / 1e6;
    const yields = mainThreadYields(daemon.pid) - yields0;
    await started;
    return {
      mbPerSec: BYTES / 1e6 / ((done.at - t0) / 1000),
      answered,
      firstByte: first.at - t0,
      cpu,
      mainCpu,
      yields,
    };
  } finally {
    await daemon.close();
    for (const file of files) await Deno.remove(file).catch(() => {});
  }
}

const dir = await Deno.makeTempDir({ prefix: "capture_ab_" });
const kinds = [REDIRECT, ...ROOTS];
const captures = new Map<string, Capture[]>(kinds.map((kind) => [kind, []]));
try {
  for (let rep = 0; rep < REPS; rep++) {
    // Each round starts with the next kind, so that none always runs first.
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[(rep + i) % kinds.length]!;
      const one = kind === REDIRECT ? await redirect(dir) : await capture(kind, dir);
      captures.get(kind)!.push(one);
      print(
        `rep ${rep + 1} ${kind}: ${one.mbPerSec.toFixed(0)} MB/s` +
          (kind === REDIRECT
            ? ""
            : `, answered ${one.answered.toFixed(1)} ms, first byte ${
              one.firstByte.toFixed(1)
            } ms, daemon ${one.cpu.toFixed(0)} ms CPU (main thread ${
              one.mainCpu.toFixed(0)
            }, ${one.yields} yields)`),
      );
    }
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
const floor = median(captures.get(REDIRECT)!.map((c) => c.mbPerSec));
print(
  `\nmedians of ${REPS} captures of ${BYTES / 1e6} MB${TIMESTAMPS ? ", timestamped" : ""}${
    ROTATE_BYTES > 0 ? `, rotated every ${ROTATE_BYTES / 1e6} MB` : ""
  } (CPU in ms):`,
);
for (const [kind, list] of captures) {
  const med = (key: keyof Capture) => median(list.map((c) => c[key]));
  const mbPerSec = med("mbPerSec");
  print(
    kind === REDIRECT
      ? `${kind}: ${mbPerSec.toFixed(0)} MB/s`
      : `${kind}: ${mbPerSec.toFixed(0)} MB/s (${
        (mbPerSec / floor).toFixed(2)
      }× the redirect), answered ${med("answered").toFixed(1)} ms, first byte ${
        med("firstByte").toFixed(1)
      } ms, daemon CPU ${med("cpu").toFixed(0)}, main thread ${med("mainCpu").toFixed(0)}, yields ${
        med("yields").toFixed(0)
      }`,
  );
}
