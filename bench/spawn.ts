/**
 * Scenario 1, spawn: N instances of `sleep 100000` (numprocs N, starttime
 * 0, output discarded). Timed from just before the daemon is spawned until
 * all N children exist in /proc (children of the daemon's pid, polled every
 * 5 ms); the daemon's RSS then; for N = 500 its CPU seconds (utime+stime)
 * over an idle window after.
 *
 * @module
 */

import { fig, type Figure, type Kind, progress, Samples, type ScenarioOptions } from "./_common.ts";
import { launch, order } from "./_launch.ts";
import { childrenOf, cpuSeconds, pollUntil, rssAnonBytes, rssBytes, sleep } from "./_proc.ts";

const MB = 1024 * 1024;

/** The daemon's own RSS with nothing running: one program, autostart off, 1 s after ready. */
async function measureEmpty(samples: Samples, reps: number): Promise<void> {
  for (let rep = 0; rep < reps; rep++) {
    for (const kind of order(rep, true)) {
      const daemon = await launch(kind, [
        { name: "idle", cmd: "sleep 100000", starttime: 0, autostart: false },
      ]);
      try {
        await daemon.ready();
        await sleep(1000);
        const rss = (rssBytes(daemon.pid) ?? NaN) / MB;
        samples.add(kind, "rssempty", rss);
        progress(`memory rep ${rep + 1} ${kind}: RSS with nothing running ${rss.toFixed(1)} MB`);
      } finally {
        await daemon.close();
      }
    }
  }
}

export async function runSpawn(opts: ScenarioOptions): Promise<Figure[]> {
  const sizes = opts.quick ? [100, 300] : [100, 500, 1000];
  const idleN = opts.quick ? 300 : 500;
  const idleSeconds = opts.quick ? 5 : 30;
  const settleMs = 1000;
  const samples = new Samples();
  await measureEmpty(samples, opts.reps);
  for (const n of sizes) {
    for (let rep = 0; rep < opts.reps; rep++) {
      for (const kind of order(rep, true)) {
        const daemon = await launch(kind, [
          { name: "sleepers", cmd: "sleep 100000", numprocs: n, starttime: 0 },
        ]);
        try {
          const first = await pollUntil(() => childrenOf(daemon.pid).length > 0 ? true : null, {
            timeoutMs: 60_000,
            what: `${kind}: first child`,
          });
          const all = await pollUntil(
            () => childrenOf(daemon.pid).length >= n ? true : null,
            { timeoutMs: 180_000, what: `${kind}: ${n} children` },
          );
          daemon.track();
          const total = all.at - daemon.launchedAt;
          // Settled, as an operator sees it: not start-up's passing pages (taskmaster gives
          // them back ~0.5 s after start, and 100 programs are now up before that).
          await sleep(settleMs);
          const rss = rssBytes(daemon.pid) ?? NaN;
          samples.add(kind, `anon${n}`, (rssAnonBytes(daemon.pid) ?? NaN) / MB);
          const firstMs = first.at - daemon.launchedAt;
          samples.add(kind, `total${n}`, total);
          samples.add(kind, `first${n}`, firstMs);
          samples.add(kind, `per${n}`, total / n);
          samples.add(kind, `marginal${n}`, (all.at - first.at) / Math.max(1, n - 1));
          samples.add(kind, `rss${n}`, rss / MB);
          let idle = "";
          if (n === idleN) {
            const before = cpuSeconds(daemon.pid) ?? NaN;
            await sleep(idleSeconds * 1000);
            const after = cpuSeconds(daemon.pid) ?? NaN;
            samples.add(kind, "idlecpu", after - before);
            samples.add(kind, "rssidle", (rssBytes(daemon.pid) ?? NaN) / MB);
            const still = childrenOf(daemon.pid).length;
            samples.add(kind, "idlechildren", still);
            idle = `, idle ${idleSeconds}s cpu ${(after - before).toFixed(2)} s, ${still} children`;
          }
          progress(
            `spawn n=${n} rep ${rep + 1} ${kind}: all up ${total.toFixed(0)} ms ` +
              `(first ${firstMs.toFixed(0)} ms), rss ${(rss / MB).toFixed(1)} MB${idle}`,
          );
        } finally {
          await daemon.close();
        }
      }
    }
  }
  const figures: Figure[] = [];
  const reps = opts.reps;
  for (const n of sizes) {
    figures.push(
      fig("spawn", `all ${n} up (from launch)`, "ms", samples.both(`total${n}`), n, reps),
      fig("spawn", `first child up (n=${n})`, "ms", samples.both(`first${n}`), n, reps),
      fig(
        "spawn",
        `per instance, first→last (n=${n})`,
        "ms",
        samples.both(`marginal${n}`),
        n,
        reps,
      ),
      fig("spawn", `per instance, total/n (n=${n})`, "ms", samples.both(`per${n}`), n, reps),
      fig("spawn", `daemon RSS, all ${n} up`, "MB", samples.both(`rss${n}`), n, reps),
    );
  }
  const lo = sizes[0]!;
  const mid = sizes[1]!;
  const hi = sizes[sizes.length - 1]!;
  const across = (key: string, f: (a: number, b: number) => number, from: number, to: number) => {
    const pick = (kind: Kind) => {
      const a = samples.median(kind, `${key}${from}`);
      const b = samples.median(kind, `${key}${to}`);
      return a === null || b === null ? null : f(a, b);
    };
    return {
      taskmaster: pick("taskmaster"),
      supervisord: pick("supervisord"),
      floor: pick("floor"),
    };
  };
  const flat = (key: string) => across(key, (a, b) => b / a, lo, hi);
  figures.push(
    fig(
      "memory",
      "daemon RSS, no program running",
      "MB",
      samples.both("rssempty"),
      0,
      reps,
      "one program with autostart off, 1 s after the socket answered",
    ),
    fig(
      "memory",
      `per instance, (RSS at ${mid} − RSS at ${lo}) / ${mid - lo}`,
      "KB",
      across("rss", (a, b) => (b - a) * 1024 / (mid - lo), lo, mid),
      mid,
      reps,
    ),
    fig(
      "memory",
      `per instance, anonymous pages only (RssAnon at ${mid} − at ${lo}) / ${mid - lo}`,
      "KB",
      across("anon", (a, b) => (b - a) * 1024 / (mid - lo), lo, mid),
      mid,
      reps,
      "the RSS figure without the executable's file pages, which vary ±3 MB from run to run",
    ),
    fig(
      "spawn",
      `flatness: per instance first→last n=${hi} / n=${lo}`,
      "×",
      flat("marginal"),
      hi,
      reps,
    ),
    fig("spawn", `flatness: total/n n=${hi} / n=${lo}`, "×", flat("per"), hi, reps),
    fig(
      "spawn",
      `idle CPU over ${idleSeconds} s (n=${idleN})`,
      "s",
      samples.both("idlecpu"),
      idleN,
      reps,
      `measured ${settleMs} ms after all were up; /proc utime+stime, 10 ms ticks`,
    ),
    fig("spawn", `daemon RSS after idle (n=${idleN})`, "MB", samples.both("rssidle"), idleN, reps),
  );
  return figures;
}
