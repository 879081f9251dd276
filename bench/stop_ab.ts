/**
 * `deno task bench:stop-ab`: a before and after for the stop path. Cold
 * stops of N `sleep`s, each on a fresh daemon, alternated between this
 * checkout and each `--root DIR` (a worktree of another commit, run with
 * this checkout's flags). For each stop, timed from the request: when
 * every program was dead (pidfds) and when the request was answered; and,
 * over the same span, the daemon main thread's time on a CPU and time
 * runnable but waiting for one (/proc/PID/task/PID/schedstat), and the
 * daemon's minor page faults (all its threads).
 *
 * The stop scenario times one checkout against the floor. A stop of 100
 * takes 8 to 14 ms until none is alive here, from one run to the next:
 * more than most changes to the stop path move it, so a change is judged
 * on medians of alternated stops, never on two runs apart (bench/RESULTS.md,
 * twenty-third pass).
 *
 * ```
 * deno run --allow-all bench/stop_ab.ts [--reps 16] [--n 100] [--root DIR]...
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { median, print } from "./_common.ts";
import { mainThreadSchedule, readStat } from "./_proc.ts";
import { childrenRunning, stopAllTimed } from "./stop.ts";
import { checkoutRoots, launchTaskmaster } from "./_taskmaster.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    reps: { type: "string", default: "16" },
    n: { type: "string", default: "100" },
    root: { type: "string", multiple: true, default: [] },
  },
});
const REPS = Number(values.reps);
const N = Number(values.n);
const ROOTS = checkoutRoots(values.root);

interface Stop {
  dead: number;
  answered: number;
  cpu: number;
  wait: number;
  faults: number;
}

async function coldStop(root: string): Promise<Stop> {
  const daemon = await launchTaskmaster(
    [{ name: "sleepers", cmd: "sleep 100000", numprocs: N, starttime: 0 }],
    { main: `${root}/main.ts` },
  );
  try {
    await daemon.ready();
    await childrenRunning(daemon, N, `${N} children of ${root}`);
    const before = mainThreadSchedule(daemon.pid);
    const faultsBefore = readStat(daemon.pid)?.minorFaults ?? NaN;
    const { t0, deadAt, answeredAt } = await stopAllTimed(daemon);
    const answered = await answeredAt;
    const after = mainThreadSchedule(daemon.pid);
    return {
      dead: deadAt - t0,
      answered: answered - t0,
      cpu: (after.onCpu - before.onCpu) / 1e6,
      wait: (after.waiting - before.waiting) / 1e6,
      faults: (readStat(daemon.pid)?.minorFaults ?? NaN) - faultsBefore,
    };
  } finally {
    await daemon.close();
  }
}

const stops = new Map<string, Stop[]>(ROOTS.map((root) => [root, []]));
for (let rep = 0; rep < REPS; rep++) {
  // Each round starts with the next checkout, so that none always runs first.
  for (let i = 0; i < ROOTS.length; i++) {
    const root = ROOTS[(rep + i) % ROOTS.length]!;
    const stop = await coldStop(root);
    stops.get(root)!.push(stop);
    print(
      `rep ${rep + 1} ${root}: dead ${stop.dead.toFixed(1)} ms, answered ${
        stop.answered.toFixed(1)
      } ms, main thread ${stop.cpu.toFixed(1)} ms on a CPU, ${stop.wait.toFixed(1)} ms waiting`,
    );
  }
}
print(`\nmedians of ${REPS} cold stops of ${N} each (ms; faults: minor page faults):`);
for (const [root, list] of stops) {
  const med = (key: keyof Stop) => median(list.map((stop) => stop[key])).toFixed(1);
  print(
    `${root}: dead ${med("dead")}, answered ${med("answered")}, cpu ${med("cpu")}, wait ${
      med("wait")
    }, faults ${med("faults")}`,
  );
}
