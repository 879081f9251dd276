/**
 * Scenario 3, stop all: 100 RUNNING `sleep 100000` (they exit on SIGTERM).
 * The bench asks the daemon over its own socket to stop everything (no
 * client start-up in the timing): time until no child is alive (each seen
 * exiting through its pidfd, _exit_watch.ts), until none is left at all
 * (reaped; /proc polled every 2 ms), and until the request is answered.
 * Then the same through each supervisor's own client (`ctl stop all`, `supervisorctl stop
 * all`), timed until the client process returns.
 *
 * A stop of 100 takes a few ms, the size of this machine's noise, and each
 * timed sample needs a daemon of its own (a second stop of one daemon runs
 * code V8 has compiled already, which a user's first stop does not; the
 * client's stop is such a second stop): a full run takes at least
 * {@link MIN_FULL_REPS} cold stops per supervisor, where the restart
 * scenario takes 20 restarts per rep.
 *
 * @module
 */

import {
  type Daemon,
  fig,
  type Figure,
  progress,
  Samples,
  type ScenarioOptions,
  timeCommand,
} from "./_common.ts";
import { launch, order } from "./_launch.ts";
import { ExitWatch } from "./_exit_watch.ts";
import { childrenOf, liveChildren, pollUntil, sleep } from "./_proc.ts";

/**
 * Cold stops per supervisor in a full run, whatever `--reps` says below it.
 * Nine, not five: seven runs of five in sessions 24–25 put the median of
 * "until none alive" at 1.40–2.20× the floor's (bench/RESULTS.md, twenty-fourth pass).
 */
export const MIN_FULL_REPS = 9;

/** Waits until `n` children of `daemon` run, remembers them, and lets every one reach RUNNING. */
export async function childrenRunning(daemon: Daemon, n: number, what: string): Promise<void> {
  await pollUntil(() => liveChildren(daemon.pid).length >= n ? true : null, {
    timeoutMs: 60_000,
    what,
  });
  daemon.track();
  await sleep(500); // every one RUNNING (starttime 0), nothing else going on
}

/** One `stop all`, timed from the request: when every child had exited, and its answer. */
export interface TimedStop {
  readonly t0: number;
  readonly deadAt: number;
  /** performance.now() at the answer; rejects with a failed request. */
  readonly answeredAt: Promise<number>;
}

/** Sends `stop all` and resolves once every child of `daemon` has exited (seen by pidfds). */
export async function stopAllTimed(daemon: Daemon): Promise<TimedStop> {
  const exits = ExitWatch.open(liveChildren(daemon.pid).map((child) => child.pid));
  try {
    const t0 = performance.now();
    const answeredAt = daemon.stopAll().then(() => performance.now());
    // A failed request is the caller's, once it awaits the answer.
    answeredAt.catch(() => {});
    return { t0, deadAt: await exits.allExited(60_000), answeredAt };
  } finally {
    exits.close();
  }
}

export async function runStop(opts: ScenarioOptions): Promise<Figure[]> {
  const n = opts.quick ? 50 : 100;
  const reps = opts.quick ? opts.reps : Math.max(opts.reps, MIN_FULL_REPS);
  const samples = new Samples();
  for (let rep = 0; rep < reps; rep++) {
    for (const kind of order(rep, true)) {
      const daemon = await launch(kind, [
        { name: "sleepers", cmd: "sleep 100000", numprocs: n, starttime: 0 },
      ]);
      try {
        await daemon.ready();
        await childrenRunning(daemon, n, `${kind}: ${n} children`);
        const { t0, deadAt, answeredAt: answered } = await stopAllTimed(daemon);
        const reaped = await pollUntil(
          () => childrenOf(daemon.pid).length === 0 ? true : null,
          { intervalMs: 2, timeoutMs: 60_000, what: `${kind}: all ${n} reaped` },
        );
        const answeredAt = await answered;
        samples.add(kind, "dead", deadAt - t0);
        samples.add(kind, "reaped", reaped.at - t0);
        samples.add(kind, "answered", answeredAt - t0);
        progress(
          `stop rep ${rep + 1} ${kind}: all dead ${(deadAt - t0).toFixed(0)} ms, reaped ` +
            `${(reaped.at - t0).toFixed(0)} ms, answered ${(answeredAt - t0).toFixed(0)} ms`,
        );
        if (kind === "floor") continue; // no client
        // Again through the supervisor's own client, as a user types it.
        const started = await timeCommand(daemon.clientArgv(["start", "all"]));
        if (started.code !== 0) throw new Error(`${kind} start all: ${started.stderr}`);
        await childrenRunning(daemon, n, `${kind}: ${n} children again`);
        const client = await timeCommand(daemon.clientArgv(["stop", "all"]));
        if (client.code !== 0) throw new Error(`${kind} stop all: ${client.stderr}`);
        samples.add(kind, "client", client.ms);
        progress(
          `stop rep ${rep + 1} ${kind}: \`stop all\` client returned ${client.ms.toFixed(0)} ms`,
        );
      } finally {
        await daemon.close();
      }
    }
  }
  return [
    fig("stop", `stop all ${n}: until none alive`, "ms", samples.both("dead"), n, reps),
    fig("stop", `stop all ${n}: until all reaped`, "ms", samples.both("reaped"), n, reps),
    fig("stop", `stop all ${n}: request answered`, "ms", samples.both("answered"), n, reps),
    fig(
      "stop",
      `stop all ${n}: \`stop all\` client returned`,
      "ms",
      samples.both("client"),
      n,
      reps,
      "taskmaster ctl / supervisorctl: wall time of the client process (the floor has none)",
    ),
  ];
}
