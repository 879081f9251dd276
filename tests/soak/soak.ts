/**
 * The soak: a real daemon with half its programs crash-looping while clients
 * hammer status/stop/start. Samples the daemon's RSS and open fds, counts
 * zombie children, and checks that nothing outlives the shutdown. Used by
 * the short test in the suite and by `deno task soak` for long runs.
 *
 * @module
 */

import { connectClient } from "../../src/api/client.ts";
import { RUN_FLAGS } from "../../src/permissions.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** What a soak run is asked to do. */
export interface SoakOptions {
  readonly programs: number;
  readonly seconds: number;
  /** Concurrent clients hammering the socket. */
  readonly clients: number;
  /** Samples before this many seconds are warm-up and not compared. */
  readonly warmupSeconds: number;
  /** Samples in a row (a second apart) a zombie must be seen in to count. @default 3 */
  readonly zombieSamples?: number;
}

/** What a soak run saw. */
export interface SoakResult {
  readonly rssMb: number[];
  readonly fds: number[];
  /** Samples after warm-up: median of the first third vs the last third. */
  readonly rssGrowth: number;
  /** Samples after warm-up: lowest of the first third vs the last third. */
  readonly fdGrowth: number;
  /** The same two floors' difference, in descriptors. */
  readonly fdFloorRise: number;
  /**
   * Zombies seen in three samples in a row (two seconds): a child that just
   * exited is a zombie until the daemon's next turn reaps it, which is fine.
   */
  readonly maxZombies: number;
  /** Pids seen in status that were still alive after shutdown. */
  readonly orphans: number[];
  /** Spawns of the crash-looping programs (restarts summed). */
  readonly crashCycles: number;
  readonly requests: number;
  readonly slowestRequestMs: number;
  /** The slowest answer per request kind (status, stop, start). */
  readonly slowestByKindMs: Record<string, number>;
  readonly exitCode: number;
}

function procStatus(pid: number, field: string): number {
  const text = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(text.match(new RegExp(`${field}:\\s+(\\d+)`))?.[1] ?? 0);
}

function fdCount(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

/** Children of `pid` that are zombies (exited, not reaped). */
function zombieChildren(pid: number): Set<number> {
  const zombies = new Set<number>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z" && Number(fields[1]) === pid) zombies.add(Number(entry.name));
    } catch {
      // Gone meanwhile.
    }
  }
  return zombies;
}

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** Runs one soak in a temp dir; never leaves a process behind. */
export async function soak(options: SoakOptions): Promise<SoakResult> {
  const dir = await Deno.makeTempDir({ prefix: "tm-soak-" });
  const half = Math.floor(options.programs / 2);
  const lines = ["programs:"];
  for (let i = 0; i < options.programs; i++) {
    lines.push(
      i < half
        ? `  crash${i}: {cmd: "/bin/sh -c 'sleep 0.2; exit 1'", starttime: 0, startretries: 1000000, stdout: none, stderr: none}`
        : `  steady${i}: {cmd: "/bin/sleep 1018", starttime: 0, stoptime: 2}`,
    );
  }
  await Deno.writeTextFile(`${dir}/tm.yaml`, lines.join("\n") + "\n");
  const daemon = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...RUN_FLAGS, MAIN, "-c", `${dir}/tm.yaml`, "--no-shell"],
    cwd: dir,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const client = connectClient(`${dir}/taskmaster.sock`);
  const seen = new Set<number>();
  const rssMb: number[] = [];
  const fds: number[] = [];
  let maxZombies = 0;
  let zombieAges = new Map<number, number>();
  let requests = 0;
  const slowestByKind: Record<string, number> = {};
  let crashCycles = 0;
  try {
    const up = Date.now() + 60_000;
    while (await client.daemonPid().then(() => false, () => true)) {
      if (Date.now() > up) throw new Error("the soak daemon did not come up");
      await new Promise((r) => setTimeout(r, 50));
    }
    // The clock starts once the launch is over: every program has been spawned.
    const launched = Date.now() + 180_000;
    while (
      !(await client.status().then((l) => l.every((p) => p.startedAt !== null), () => false))
    ) {
      if (Date.now() > launched) throw new Error("the soak daemon did not finish its launch");
      await new Promise((r) => setTimeout(r, 200));
    }
    const end = Date.now() + options.seconds * 1000;
    const steady = Array.from({ length: options.programs - half }, (_, i) => `steady${half + i}`);
    const hammer = async (seed: number) => {
      let n = seed;
      while (Date.now() < end) {
        const name = steady[(n = (n * 1103515245 + 12345) >>> 0) % steady.length]!;
        const start = performance.now();
        const kind = (["status", "status", "stop", "start"] as const)[n % 4]!;
        try {
          switch (kind) {
            case "status":
              for (const p of await client.status()) if (p.pid !== null) seen.add(p.pid);
              break;
            case "stop":
              await client.stop([name]);
              break;
            case "start":
              await client.start([name]);
          }
        } catch {
          // ALREADY_STARTED / NOT_RUNNING races between clients are expected.
        }
        const took = performance.now() - start;
        slowestByKind[kind] = Math.round(Math.max(slowestByKind[kind] ?? 0, took));
        requests++;
      }
    };
    const sampler = (async () => {
      while (Date.now() < end) {
        rssMb.push(Math.round(procStatus(daemon.pid, "VmRSS") / 102.4) / 10);
        fds.push(fdCount(daemon.pid));
        const ages = new Map<number, number>();
        for (const pid of zombieChildren(daemon.pid)) ages.set(pid, (zombieAges.get(pid) ?? 0) + 1);
        zombieAges = ages;
        maxZombies = Math.max(
          maxZombies,
          [...ages.values()].filter((age) => age >= (options.zombieSamples ?? 3)).length,
        );
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    await Promise.all([
      sampler,
      ...Array.from({ length: options.clients }, (_, i) => hammer(i + 1)),
    ]);
    const final = await client.status();
    for (const p of final) if (p.pid !== null) seen.add(p.pid);
    crashCycles = final.filter((p) => p.program.startsWith("crash"))
      .reduce((sum, p) => sum + (p.restarts ?? 0) + 1, 0);
    await client.shutdown();
  } finally {
    client.close();
    // After a shutdown the daemon exits by itself; a SIGTERM then could land after
    // it stopped listening for signals. Only a daemon still there gets one.
    const gone = await Promise.race([
      daemon.status.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 15_000)),
    ]);
    if (!gone) daemon.kill("SIGTERM");
  }
  const status = await daemon.status;
  const orphans = [...seen].filter(alive);
  for (const pid of orphans) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Gone.
    }
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const warm = Math.min(options.warmupSeconds, Math.floor(rssMb.length / 2));
  const third = Math.max(1, Math.floor((rssMb.length - warm) / 3));
  const levels = (xs: number[], level: (ys: number[]) => number) => {
    const after = xs.slice(warm);
    return { first: level(after.slice(0, third)), last: level(after.slice(-third)) };
  };
  const growth = ({ first, last }: { first: number; last: number }) =>
    first === 0 ? 0 : (last - first) / first;
  // Crash-looping programs open and close 3 fds each from second to second, so
  // the count is a sawtooth whose peaks depend on how many are alive at the
  // sample; a leak raises its floor, so fds compare the lowest sample of each third.
  const floorOf = (ys: number[]) => Math.min(...ys);
  const fdFloors = levels(fds, floorOf);
  return {
    rssMb,
    fds,
    rssGrowth: growth(levels(rssMb, median)),
    fdGrowth: growth(fdFloors),
    fdFloorRise: fdFloors.last - fdFloors.first,
    maxZombies,
    orphans,
    crashCycles,
    requests,
    slowestRequestMs: Math.max(0, ...Object.values(slowestByKind)),
    slowestByKindMs: slowestByKind,
    exitCode: status.code,
  };
}
