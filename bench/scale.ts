/**
 * Scenario 7, scale: 1000 programs running (numprocs 1 each). One program's
 * command changes in the config file; the supervisor's client applies it
 * (taskmaster `ctl reload`, supervisorctl `update`: supervisord's SIGHUP
 * would restart everything). Timed from launching the client until the
 * changed program's new child exists and its old one is gone (/proc, every
 * 5 ms); then every other program's pid must be unchanged (pid and start
 * time).
 *
 * @module
 */

import {
  fig,
  type Figure,
  type ProgramSpec,
  progress,
  Samples,
  type ScenarioOptions,
} from "./_common.ts";
import { launch, order } from "./_launch.ts";
import { cmdline, liveChildren, pollUntil, sleep } from "./_proc.ts";

export async function runScale(opts: ScenarioOptions): Promise<Figure[]> {
  const n = opts.quick ? 200 : 1000;
  const specs: ProgramSpec[] = Array.from({ length: n }, (_, i) => ({
    name: `p${String(i).padStart(4, "0")}`,
    cmd: "sleep 100000",
    starttime: 0,
  }));
  const target = Math.floor(n / 2);
  const changed = specs.map((s, i) => i === target ? { ...s, cmd: "sleep 100001" } : s);
  const samples = new Samples();
  const unchanged = new Map<string, string[]>();
  for (let rep = 0; rep < opts.reps; rep++) {
    for (const kind of order(rep)) {
      const daemon = await launch(kind, specs);
      try {
        await daemon.ready(120_000);
        const up = await pollUntil(() => liveChildren(daemon.pid).length >= n ? true : null, {
          timeoutMs: 180_000,
          what: `${kind}: ${n} children`,
        });
        daemon.track();
        await sleep(1000);
        const before = liveChildren(daemon.pid);
        await daemon.writeConfig(changed);
        const t0 = performance.now();
        const argv = daemon.clientArgv(daemon.applyConfigWords);
        const client = new Deno.Command(argv[0]!, {
          args: argv.slice(1),
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output().then((out) => ({ out, at: performance.now() }));
        const applied = await pollUntil(() => {
          const live = liveChildren(daemon.pid);
          const fresh = live.find((c) => /(^|\/)sleep 100001$/.test(cmdline(c.pid) ?? ""));
          return fresh !== undefined && live.length === n ? fresh : null;
        }, { intervalMs: 5, timeoutMs: 120_000, what: `${kind}: changed program restarted` });
        const { out, at } = await client;
        if (!out.success) {
          throw new Error(
            `${kind} ${daemon.applyConfigWords.join(" ")}: exit ${out.code} ` +
              new TextDecoder().decode(out.stderr).slice(0, 500),
          );
        }
        daemon.track();
        await sleep(1000);
        const after = new Map(liveChildren(daemon.pid).map((c) => [c.pid, c.starttime]));
        const kept = before.filter((c) => after.get(c.pid) === c.starttime).length;
        const others = n - 1;
        samples.add(kind, "applied", applied.at - t0);
        samples.add(kind, "client", at - t0);
        samples.add(kind, "startup", up.at - daemon.launchedAt);
        unchanged.set(kind, [...(unchanged.get(kind) ?? []), `${kept}/${others}`]);
        progress(
          `scale rep ${rep + 1} ${kind}: ${n} up in ${
            (up.at - daemon.launchedAt).toFixed(0)
          } ms, ` +
            `applied in ${(applied.at - t0).toFixed(0)} ms, client ${(at - t0).toFixed(0)} ms, ` +
            `unchanged pids ${kept}/${others}, ${after.size} children after`,
        );
      } finally {
        await daemon.close();
      }
    }
  }
  const words = "taskmaster ctl reload vs supervisorctl update";
  return [
    fig("scale", `${n} up (from launch)`, "ms", samples.both("startup"), n, opts.reps),
    fig("scale", `change 1 of ${n}: applied`, "ms", samples.both("applied"), n, opts.reps, words),
    fig("scale", `change 1 of ${n}: client returned`, "ms", samples.both("client"), n, opts.reps),
    fig(
      "scale",
      `other pids unchanged`,
      "",
      {
        taskmaster: (unchanged.get("taskmaster") ?? []).join(","),
        supervisord: (unchanged.get("supervisord") ?? []).join(","),
      },
      n,
      opts.reps,
    ),
  ];
}
