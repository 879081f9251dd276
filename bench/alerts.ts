/**
 * Alert delivery must not slow supervision: a crash storm of 50 programs for
 * 30 s, under two daemons at the same time, one without alerts and one with
 * every crash and restart sent to a dead webhook (connection refused, 3
 * retries with backoff): run side by side, both see the same machine load,
 * which on a shared VM changes too much from one 30 s window to the next. Each program appends its
 * start and exit times (bash's $EPOCHREALTIME) to its own file; the restart
 * latency is the next start minus the previous exit, measured from the
 * outside. Also: the daemon's RSS at the end, and whether the alert counters
 * add up (every alert sent, failed, dropped or still queued).
 *
 * ```
 * deno run --allow-all bench/alerts.ts [--seconds 30] [--programs 50]
 * ```
 *
 * @module
 */

import { RUN_FLAGS } from "../src/permissions.ts";
import { connectClient } from "../src/api/client.ts";
import { median, print, quantile } from "./_common.ts";
import { cpuSeconds, rssBytes, sleep } from "./_proc.ts";

const MAIN_TS = new URL("../main.ts", import.meta.url).pathname;

interface RunResult {
  readonly latenciesMs: number[];
  readonly restarts: number;
  readonly rssMB: number;
  /** The daemon's CPU time (user + system) over the window. */
  readonly cpuS: number;
  readonly crashes: number;
  /** `started` and `crashed` events in the event log (read after the daemon exited). */
  readonly emitted: number;
  readonly counters: { sent: number; failed: number; dropped: number; queued: number } | null;
}

function deadPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function run(programs: number, seconds: number, alerts: boolean): Promise<RunResult> {
  const dir = await Deno.makeTempDir({ prefix: "alerts_bench_" });
  const lines = [
    "taskmaster:",
    `  socket: ${dir}/tm.sock`,
    `  logfile: ${dir}/tm.log`,
    `  logdir: ${dir}/logs`,
    `  pidfile: ${dir}/tm.pid`,
    "programs:",
  ];
  for (let i = 0; i < programs; i++) {
    // Up 1.1 s (past the 1 s crash-loop guard), so every restart is immediate.
    const script =
      `echo s $EPOCHREALTIME >> ${dir}/p${i}.txt; sleep 1.1; echo e $EPOCHREALTIME >> ${dir}/p${i}.txt; exit 1`;
    lines.push(
      `  p${i}: {cmd: ${
        JSON.stringify(`/bin/bash -c '${script}'`)
      }, starttime: 0, stdout: null, stderr: null}`,
    );
  }
  if (alerts) {
    lines.push(
      "alerts:",
      "  channels:",
      `    dead: {webhook: {url: "http://127.0.0.1:${deadPort()}/hook", timeout: 2, retries: 3, backoff: 0.5}}`,
      "  rules:",
      "    - {events: [crashed, started, backoff, fatal, flapping], channels: [dead], cooldown: 0, max_per_hour: 1000000}",
    );
  }
  await Deno.writeTextFile(`${dir}/tm.yaml`, lines.join("\n") + "\n");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...RUN_FLAGS, MAIN_TS, "-c", `${dir}/tm.yaml`, "--no-shell"],
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const client = connectClient(`${dir}/tm.sock`);
  try {
    for (let i = 0; i < 200; i++) {
      if (await client.daemonPid().then(() => true, () => false)) break;
      await sleep(50);
    }
    await sleep(seconds * 1000);
    const rss = rssBytes(child.pid) ?? 0;
    const cpu = cpuSeconds(child.pid) ?? 0;
    const latencies: number[] = [];
    const readRuns = async () => {
      let starts = 0;
      let exits = 0;
      latencies.length = 0;
      for (let i = 0; i < programs; i++) {
        const text = await Deno.readTextFile(`${dir}/p${i}.txt`).catch(() => "");
        const events = text.trim().split("\n").filter(Boolean).map((l) => l.split(" "));
        for (let k = 0; k < events.length; k++) {
          const [kind, at] = events[k]!;
          if (kind === "s") starts++;
          else exits++;
          const prev = events[k - 1];
          if (prev?.[0] === "e" && kind === "s") {
            latencies.push((Number(at) - Number(prev[1])) * 1000);
          }
        }
      }
      return { starts, exits };
    };
    const atEnd = await readRuns();
    const window = [...latencies];
    // Counters are checked on a quiet daemon: stop everything (stops raise no
    // alert here) and wait for it; then every started/crashed event the event
    // log recorded must be sent, failed, dropped or still queued (one may be in flight).
    await client.stop(["all"]);
    for (let i = 0; i < 600; i++) {
      if ((await client.status()).every((p) => p.state === "STOPPED")) break;
      await sleep(100);
    }
    await sleep(200);
    const channels = alerts ? await client.alerts!() : [];
    const c = channels[0];
    const crashes = atEnd.exits;
    latencies.length = 0;
    latencies.push(...window);
    client.close();
    child.kill("SIGTERM");
    await child.status;
    const log = await Deno.readTextFile(`${dir}/tm.log`).catch(() => "");
    const emitted = (log.match(/success: p\d+ entered RUNNING state/g) ?? []).length +
      (log.match(/exited: p\d+ \(exit status 1; not expected\)/g) ?? []).length;
    return {
      emitted,
      latenciesMs: latencies,
      restarts: latencies.length,
      rssMB: rss / 1e6,
      cpuS: cpu,
      crashes,
      counters: c === undefined
        ? null
        : { sent: c.sent, failed: c.failed, dropped: c.dropped, queued: c.queued },
    };
  } finally {
    client.close();
    try {
      child.kill("SIGTERM");
    } catch {
      // Already stopped above.
    }
    await child.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function arg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}

if (import.meta.main) {
  const seconds = arg("--seconds", 30);
  const programs = arg("--programs", 50);
  const [quiet, loud] = await Promise.all([
    run(programs, seconds, false),
    run(programs, seconds, true),
  ]);
  const out = (label: string, r: RunResult) =>
    `${label}: ${r.restarts} restarts, restart latency median ${
      median(r.latenciesMs).toFixed(1)
    } ms, p95 ${quantile(r.latenciesMs, 0.95).toFixed(1)} ms, daemon RSS ${
      r.rssMB.toFixed(1)
    } MB, daemon CPU ${r.cpuS.toFixed(2)} s${
      r.counters === null ? "" : `, alerts ${JSON.stringify(r.counters)}`
    }`;
  const ratio = median(loud.latenciesMs) / median(quiet.latenciesMs);
  print(out("no alerts       ", quiet));
  print(out("dead webhook    ", loud));
  print(`median restart latency ratio (dead webhook / no alerts): ${ratio.toFixed(3)}`);
  if (loud.counters !== null) {
    const c = loud.counters;
    // Each crash is one `crashed` alert and its restart one `started`; the counters must
    // account for every one of them (a restart in flight at the end may add one more).
    print(
      `alert counters: sent+failed+dropped+queued = ${
        c.sent + c.failed + c.dropped + c.queued
      } (+ at most 1 in flight) for ${loud.emitted} started/crashed events in the event log`,
    );
  }
}
