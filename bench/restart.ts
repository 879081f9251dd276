/**
 * Scenario 2, restart latency: one `sleep 100000` (starttime 0); `kill -9`
 * its RUNNING child and time until a replacement child of the daemon exists
 * in /proc, and until that child runs `sleep` (its exec done: comm is
 * "sleep"), polled every 1 ms. 20 kills per repetition; median and p90.
 *
 * @module
 */

import { fig, type Figure, progress, quantile, Samples, type ScenarioOptions } from "./_common.ts";
import { launch, order } from "./_launch.ts";
import { liveChildren, pollUntil, readStat, sleep } from "./_proc.ts";

export async function runRestart(opts: ScenarioOptions): Promise<Figure[]> {
  const kills = opts.quick ? 5 : 20;
  const samples = new Samples();
  for (let rep = 0; rep < opts.reps; rep++) {
    for (const kind of order(rep, true)) {
      const daemon = await launch(kind, [
        { name: "victim", cmd: "sleep 100000", starttime: 0, autorestart: "unexpected" },
      ]);
      try {
        await daemon.ready();
        const latencies: number[] = [];
        const execs: number[] = [];
        for (let k = 0; k < kills; k++) {
          // A RUNNING child first (the supervisor says so; not timed).
          const current = await pollUntil(() => {
            const live = liveChildren(daemon.pid);
            return live.length === 1 && live[0]!.comm === "sleep" ? live[0]! : null;
          }, { timeoutMs: 30_000, what: `${kind}: one live sleep` });
          for (let i = 0; i < 300 && await daemon.stateOf("victim") !== "RUNNING"; i++) {
            await sleep(10);
          }
          daemon.track();
          const old = current.value.pid;
          const t0 = performance.now();
          Deno.kill(old, "SIGKILL");
          const replaced = await pollUntil(() => {
            const fresh = liveChildren(daemon.pid).find((c) => c.pid !== old);
            return fresh ?? null;
          }, { intervalMs: 1, timeoutMs: 30_000, what: `${kind}: replacement of ${old}` });
          latencies.push(replaced.at - t0);
          const running = await pollUntil(
            () => readStat(replaced.value.pid)?.comm === "sleep" ? true : null,
            { intervalMs: 1, timeoutMs: 30_000, what: `${kind}: ${replaced.value.pid} runs sleep` },
          );
          execs.push(running.at - t0);
          daemon.track();
          await sleep(50);
        }
        const med = quantile(latencies, 0.5);
        const p90 = quantile(latencies, 0.9);
        samples.add(kind, "median", med);
        samples.add(kind, "p90", p90);
        samples.add(kind, "max", Math.max(...latencies));
        samples.add(kind, "exec", quantile(execs, 0.5));
        progress(
          `restart rep ${rep + 1} ${kind}: median ${med.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms ` +
            `(${latencies.map((l) => l.toFixed(0)).join(" ")}), runs sleep at median ` +
            `${quantile(execs, 0.5).toFixed(1)} ms`,
        );
      } finally {
        await daemon.close();
      }
    }
  }
  return [
    fig(
      "restart",
      `kill -9 → replacement runs sleep, median of ${kills}`,
      "ms",
      samples.both("exec"),
      kills,
      opts.reps,
    ),
    fig(
      "restart",
      `kill -9 → replacement, median of ${kills}`,
      "ms",
      samples.both("median"),
      kills,
      opts.reps,
    ),
    fig(
      "restart",
      `kill -9 → replacement, p90 of ${kills}`,
      "ms",
      samples.both("p90"),
      kills,
      opts.reps,
    ),
    fig(
      "restart",
      `kill -9 → replacement, max of ${kills}`,
      "ms",
      samples.both("max"),
      kills,
      opts.reps,
    ),
  ];
}
