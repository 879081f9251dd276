/**
 * Scenario "linear" (opt-in: `--only linear`): one program with numprocs N
 * of `sleep 100000`, for each N of `--sizes` (default 100,500,1000,2000).
 * Per N and supervisor: the launch (until all N children exist) per
 * instance, the daemon's RSS 1 s later, the full status over the socket
 * (taskmaster GET /v1/processes, supervisord getAllProcessInfo; median of
 * 5) and through the client (`ctl status --json` / `supervisorctl status`;
 * median of 3). The last rows divide the largest N's figure per instance
 * by the smallest's: 1.0 is linear. The C floor (bench/floor.c) runs the
 * launch too, so a growth the kernel itself shows (5,000 processes, their
 * /proc entries, the bench's own polling) is told apart from ours; it has no
 * status.
 *
 * @module
 */

import {
  fig,
  type Figure,
  type Kind,
  median,
  progress,
  Samples,
  type ScenarioOptions,
  timeCommand,
} from "./_common.ts";
import { launch, order } from "./_launch.ts";
import { childrenOf, liveChildren, pollUntil, rssBytes, sleep } from "./_proc.ts";

const MB = 1024 * 1024;
const LINEAR_SIZES = [100, 500, 1000, 2000];

async function timedStatus(statusAll: () => Promise<number>, n: number): Promise<number> {
  const t0 = performance.now();
  const count = await statusAll();
  const ms = performance.now() - t0;
  if (count !== n) throw new Error(`status listed ${count} processes, want ${n}`);
  return ms;
}

export async function runLinear(opts: ScenarioOptions): Promise<Figure[]> {
  const sizes = opts.sizes ?? (opts.quick ? [100, 300] : LINEAR_SIZES);
  const samples = new Samples();
  for (const n of sizes) {
    for (let rep = 0; rep < opts.reps; rep++) {
      for (const kind of order(rep, true)) {
        const daemon = await launch(kind, [
          { name: "sleepers", cmd: "sleep 100000", numprocs: n, starttime: 0 },
        ]);
        try {
          const all = await pollUntil(
            // Counting the children is one read per daemon thread; only then is
            // each child's stat read (zombies do not count). Reading 5,000 stats
            // every 20 ms took the bench a core of this 2-core VM, and slowed
            // the launch it timed more the larger N was.
            () =>
              childrenOf(daemon.pid).length >= n && liveChildren(daemon.pid).length >= n
                ? true
                : null,
            { intervalMs: 20, timeoutMs: 1_800_000, what: `${kind}: ${n} children` },
          );
          daemon.track();
          await daemon.ready();
          await sleep(1000);
          const rss = (rssBytes(daemon.pid) ?? NaN) / MB;
          const up = all.at - daemon.launchedAt;
          samples.add(kind, `per${n}`, up / n);
          samples.add(kind, `rss${n}`, rss);
          if (kind === "floor") {
            progress(
              `linear n=${n} rep ${rep + 1} floor: up ${up.toFixed(0)} ms ` +
                `(${(up / n).toFixed(2)} ms each), rss ${rss.toFixed(1)} MB`,
            );
            continue;
          }
          const api: number[] = [];
          for (let i = 0; i < 6; i++) {
            const ms = await timedStatus(() => daemon.statusAll(), n);
            if (i > 0) api.push(ms); // the first warms the path
          }
          const client: number[] = [];
          const words = kind === "taskmaster" ? ["status", "--json"] : ["status"];
          for (let i = 0; i < 3; i++) {
            const out = await timeCommand(daemon.clientArgv(words));
            // supervisorctl status exits 0 only when all are RUNNING; so does ctl.
            if (out.code !== 0) throw new Error(`${kind} status: exit ${out.code} ${out.stderr}`);
            client.push(out.ms);
          }
          samples.add(kind, `api${n}`, median(api));
          samples.add(kind, `client${n}`, median(client));
          progress(
            `linear n=${n} rep ${rep + 1} ${kind}: up ${up.toFixed(0)} ms ` +
              `(${(up / n).toFixed(2)} ms each), rss ${rss.toFixed(1)} MB, status over the ` +
              `socket ${median(api).toFixed(1)} ms, client ${median(client).toFixed(0)} ms`,
          );
        } finally {
          await daemon.close();
        }
      }
    }
  }
  const figures: Figure[] = [];
  for (const n of sizes) {
    figures.push(
      fig("linear", `launch ${n}: per instance`, "ms", samples.both(`per${n}`), n, opts.reps),
      fig("linear", `RSS, ${n} running`, "MB", samples.both(`rss${n}`), n, opts.reps),
      fig(
        "linear",
        `status of ${n} over the socket`,
        "ms",
        samples.both(`api${n}`),
        n,
        opts.reps,
        "taskmaster GET /v1/processes, supervisord getAllProcessInfo (median of 5)",
      ),
      fig(
        "linear",
        `status of ${n}: client returned`,
        "ms",
        samples.both(`client${n}`),
        n,
        opts.reps,
        "taskmaster ctl status --json, supervisorctl status (median of 3)",
      ),
    );
  }
  const lo = sizes[0]!;
  const hi = sizes[sizes.length - 1]!;
  /** The figure at `hi` ÷ at `lo`, per instance (`perEntry`: divided by n first). */
  const growth = (key: string, perEntry: boolean) => {
    const pick = (kind: Kind) => {
      const a = samples.median(kind, `${key}${lo}`);
      const b = samples.median(kind, `${key}${hi}`);
      if (a === null || b === null) return null;
      return perEntry ? (b / hi) / (a / lo) : b / a;
    };
    return {
      taskmaster: pick("taskmaster"),
      supervisord: pick("supervisord"),
      floor: pick("floor"),
    };
  };
  const note = `per instance at n=${hi} ÷ at n=${lo}; 1.0 = linear`;
  figures.push(
    fig("linear", `launch, ${hi} vs ${lo}`, "×", growth("per", false), hi, opts.reps, note),
    fig(
      "linear",
      `status over the socket, ${hi} vs ${lo}`,
      "×",
      growth("api", true),
      hi,
      opts.reps,
      note,
    ),
  );
  return figures;
}
