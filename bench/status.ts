/**
 * Scenario 5, status: 100 programs running; the wall time of one
 * `taskmaster ctl status --json` client process (from source, binary's
 * flags) against one `supervisorctl status`, alternating, median of 10 per
 * repetition after one untimed warm-up call each.
 *
 * @module
 */

import {
  type Daemon,
  fig,
  type Figure,
  median,
  progress,
  Samples,
  type ScenarioOptions,
  timeCommand,
} from "./_common.ts";
import { launch, order } from "./_launch.ts";
import { liveChildren, pollUntil, sleep } from "./_proc.ts";

export async function runStatus(opts: ScenarioOptions): Promise<Figure[]> {
  const programs = opts.quick ? 20 : 100;
  const calls = 10;
  const specs = Array.from({ length: programs }, (_, i) => ({
    name: `p${String(i).padStart(3, "0")}`,
    cmd: "sleep 100000",
    starttime: 0,
  }));
  const samples = new Samples();
  for (let rep = 0; rep < opts.reps; rep++) {
    const daemons: Daemon[] = [];
    try {
      for (const kind of order(rep)) {
        const daemon = await launch(kind, specs);
        daemons.push(daemon);
        await daemon.ready();
        await pollUntil(() => liveChildren(daemon.pid).length >= programs ? true : null, {
          timeoutMs: 60_000,
          what: `${kind}: ${programs} children`,
        });
        daemon.track();
      }
      await sleep(500);
      const words = (d: Daemon) => d.kind === "taskmaster" ? ["status", "--json"] : ["status"];
      const times = new Map<string, number[]>();
      for (let call = -1; call < calls; call++) {
        for (const daemon of daemons) {
          const out = await timeCommand(daemon.clientArgv(words(daemon)));
          const lines = daemon.kind === "taskmaster"
            ? (JSON.parse(out.stdout || "[]") as unknown[]).length
            : out.stdout.trim().split("\n").length;
          if (out.code !== 0 || lines !== programs) {
            throw new Error(
              `${daemon.kind} status: exit ${out.code}, ${lines} entries (want ${programs}): ` +
                out.stderr.slice(0, 500),
            );
          }
          if (call < 0) continue; // warm-up
          const list = times.get(daemon.kind) ?? [];
          list.push(out.ms);
          times.set(daemon.kind, list);
        }
      }
      for (const daemon of daemons) {
        const list = times.get(daemon.kind) ?? [];
        samples.add(daemon.kind, "median", median(list));
        samples.add(daemon.kind, "min", Math.min(...list));
        progress(
          `status rep ${rep + 1} ${daemon.kind}: median ${median(list).toFixed(1)} ms ` +
            `(${list.map((t) => t.toFixed(0)).join(" ")})`,
        );
      }
    } finally {
      for (const daemon of daemons) await daemon.close();
    }
  }
  return [
    fig(
      "status",
      `client wall, ${programs} programs, median of ${calls}`,
      "ms",
      samples.both("median"),
      programs,
      opts.reps,
      "taskmaster ctl status --json vs supervisorctl status",
    ),
    fig(
      "status",
      `client wall, ${programs} programs, min of ${calls}`,
      "ms",
      samples.both("min"),
      programs,
      opts.reps,
    ),
  ];
}
