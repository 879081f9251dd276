/**
 * Scenario 6, crash loop: a program that exits 1 at once (starttime 1,
 * startretries 3). Each attempt appends its own start time (bash's
 * $EPOCHREALTIME, no extra fork) to a file, so spawns are counted from the
 * outside even though each lives a few ms. After 10 s from launch: the
 * number of spawns, the waits between them, and the state the supervisor
 * reports. SEMANTICS.md B3: 1 + startretries attempts, waits 1 s, 2 s, 3 s,
 * then FATAL.
 *
 * @module
 */

import { fig, type Figure, median, progress, type ScenarioOptions } from "./_common.ts";
import { launch, order } from "./_launch.ts";
import { sleep } from "./_proc.ts";

const STARTRETRIES = 3;
/** How far a wait may be off the documented one and still count as exact. */
const TOLERANCE_S = 0.15;

export async function runCrash(opts: ScenarioOptions): Promise<Figure[]> {
  const windowMs = 10_000;
  const expectedWaits = Array.from({ length: STARTRETRIES }, (_, i) => i + 1);
  const spawns = new Map<string, number[]>();
  const waits = new Map<string, number[][]>();
  const finals = new Map<string, string[]>();
  const exact = new Map<string, boolean[]>();
  for (let rep = 0; rep < opts.reps; rep++) {
    for (const kind of order(rep)) {
      const scratch = await Deno.makeTempDir({ prefix: "crash_bench_" });
      const file = `${scratch}/spawns.txt`;
      const daemon = await launch(kind, [{
        name: "crasher",
        cmd: `/bin/bash -c 'echo $EPOCHREALTIME >> ${file}; exit 1'`,
        starttime: 1,
        startretries: STARTRETRIES,
      }]);
      try {
        await sleep(windowMs - (performance.now() - daemon.launchedAt));
        const state = await daemon.stateOf("crasher");
        const text = await Deno.readTextFile(file).catch(() => "");
        const times = text.trim().split("\n").filter(Boolean).map(Number);
        const gaps = times.slice(1).map((t, i) => t - times[i]!);
        const ok = times.length === STARTRETRIES + 1 && state === "FATAL" &&
          gaps.every((g, i) => Math.abs(g - expectedWaits[i]!) <= TOLERANCE_S);
        spawns.set(kind, [...(spawns.get(kind) ?? []), times.length]);
        waits.set(kind, [...(waits.get(kind) ?? []), gaps]);
        finals.set(kind, [...(finals.get(kind) ?? []), state]);
        exact.set(kind, [...(exact.get(kind) ?? []), ok]);
        progress(
          `crash rep ${rep + 1} ${kind}: ${times.length} spawns in 10 s, waits ` +
            `${gaps.map((g) => g.toFixed(3)).join(" ")} s, final ${state}${
              ok ? "" : " (MISMATCH)"
            }`,
        );
      } finally {
        await daemon.close();
        await Deno.remove(scratch, { recursive: true }).catch(() => {});
      }
    }
  }
  const both = <T>(f: (kind: string) => T) => ({
    taskmaster: f("taskmaster") as number | string | null,
    supervisord: f("supervisord") as number | string | null,
  });
  const figures = [
    fig(
      "crash",
      "spawns in 10 s (expected 4)",
      "",
      both((k) => median(spawns.get(k) ?? [])),
      STARTRETRIES,
      opts.reps,
    ),
  ];
  for (let i = 0; i < STARTRETRIES; i++) {
    figures.push(
      fig(
        "crash",
        `wait before attempt ${i + 2} (expected ${expectedWaits[i]} s)`,
        "s",
        both((k) => {
          const list = (waits.get(k) ?? []).flatMap((g) => g.slice(i, i + 1));
          return list.length === 0 ? null : median(list);
        }),
        STARTRETRIES,
        opts.reps,
      ),
    );
  }
  figures.push(
    fig(
      "crash",
      "state after 10 s (expected FATAL)",
      "",
      both((k) => (finals.get(k) ?? []).join(",")),
      STARTRETRIES,
      opts.reps,
    ),
    fig(
      "crash",
      `matches B3 (count, waits ±${TOLERANCE_S} s, FATAL)`,
      "",
      both((k) => {
        const list = exact.get(k) ?? [];
        return `${list.filter(Boolean).length}/${list.length}`;
      }),
      STARTRETRIES,
      opts.reps,
    ),
  );
  return figures;
}
