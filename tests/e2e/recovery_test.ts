/**
 * kill -9 of taskmaster, then a new start: what the dead daemon left is
 * stopped before anything starts, so no program ever runs twice, and
 * nothing of the old run survives (issue 10 §1–2, issue 9 item 8). Every
 * test counts only processes carrying its own argv marker, and watches the
 * count for the whole restart: it must never exceed the configured number.
 */
import assert from "node:assert/strict";
import { runTaskmaster, taskmasterCommand } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { connectClient } from "../../src/api/client.ts";
import type { ProcessInfo } from "../../src/api/protocol.ts";
import { cgroup2Mount, pathKey } from "../../src/process/cgroups.ts";

/**
 * A marker unique to this test process: two suites on one machine (a
 * landing while another runs) must not count each other's processes. The
 * tag comes first, so a prefix such as m("1010.5") still means this run's
 * 1010.5x markers only.
 */
const TAG = String(1000 + (Deno.pid % 9000));
const m = (marker: string) => `${TAG}${marker}`;

/** Live (non-zombie) pids whose command line contains `marker`. */
function marked(marker: string): number[] {
  return [...markedWithStart(marker).keys()];
}

/**
 * Exactly one `marker` process is alive and it is not `old`. One scan: with
 * two, the old one could be seen in the first and be gone by the second, and
 * "nothing at all" would pass for "a new one".
 */
function onlyOneOtherThan(marker: string, old: number): boolean {
  const now = marked(marker);
  return now.length === 1 && now[0] !== old;
}

/** The program a pid runs now (its comm), or null once it is gone. */
function commOf(pid: number): string | null {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
  } catch {
    return null;
  }
}

/** The same, each with its start time (field 22 of /proc/PID/stat). */
function markedWithStart(marker: string): Map<number, string> {
  const found = new Map<number, string>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).replaceAll("\0", " ");
      if (!cmdline.includes(marker)) continue;
      const start = liveStart(Number(entry.name));
      if (start !== null) found.set(Number(entry.name), start);
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

/** Start time of a live (non-zombie) process, null when it is gone or a zombie. */
function liveStart(pid: number): string | null {
  try {
    const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1]!.split(" ");
    return fields[0] === "Z" ? null : fields[19]!;
  } catch {
    return null;
  }
}

/**
 * How many `marker` processes were alive at one same moment. One scan of
 * /proc takes a while (long under load): a process that died early in it
 * and one born late in it would both be counted although they never ran
 * together. So every process the scan saw is checked again after it: one
 * still alive (same start time) was alive throughout, in particular at the
 * moment the scan ended; only those count.
 *
 * Each pid comes with its process group, read in the re-check. Each
 * instance runs in its own group, so a shim's short-lived fork (the `mkdir`
 * of its cgroup, before exec) carries the marker too but is not a second
 * instance: counting distinct groups counts instances.
 */
function simultaneousGroups(marker: string): Map<number, string> {
  const alive = new Map<number, string>();
  for (const [pid, start] of markedWithStart(marker)) {
    try {
      const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1]!.split(" ");
      if (fields[0] !== "Z" && fields[19] === start) alive.set(pid, fields[2]!);
    } catch {
      // Gone since the scan.
    }
  }
  return alive;
}

/**
 * Records the highest count of `marker` processes until stopped, sampling
 * continuously (one /proc scan after another; a timer turn between them
 * lets the test go on). The count includes a shim that has not exec'd the
 * program yet (its command line holds the marker too), as `pgrep -f` would,
 * once per process group.
 */
function watchCount(marker: string): { stop(): Promise<number>; peak(): string } {
  let max = 0;
  let peak = "";
  let running = true;
  const sample = () => {
    const alive = simultaneousGroups(marker);
    const count = new Set(alive.values()).size;
    if (count > max) {
      max = count;
      peak = [...alive.keys()].map(describeProcess).join("\n");
    }
  };
  const loop = (async () => {
    while (running) {
      sample();
      await new Promise((r) => setTimeout(r, 0));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      sample();
      return max;
    },
    peak: () => peak,
  };
}

/** pid, parent, group, state and command line: what a failed count shows. */
function describeProcess(pid: number): string {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const [state, ppid, pgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ");
    return `${pid} ppid ${ppid} pgid ${pgid} ${state} ${cmdline.slice(0, 160)}`;
  } catch {
    return `${pid} (gone)`;
  }
}

/** One daemon run on `dir/taskmaster.yaml`; a second one may follow on the same dir. */
/** Daemons not yet stopped: a failed test must not leave one respawning its marker. */
const live = new Set<Run>();

class Run {
  readonly child: Deno.ChildProcess;
  readonly port: ReturnType<typeof connectClient>;

  constructor(readonly dir: string) {
    this.child = taskmasterCommand(["-c", `${dir}/taskmaster.yaml`, "--no-shell"], {
      stdin: "null",
      stdout: "null",
      stderr: "inherit",
      cwd: dir,
    }).spawn();
    this.port = connectClient(`${dir}/taskmaster.sock`);
    live.add(this);
    this.child.status.then(() => live.delete(this));
  }

  ready(): Promise<true> {
    return waitFor(() => this.port.daemonPid().then(() => true as const), {
      timeout: 60_000,
      what: "the socket",
    });
  }

  async running(count: number): Promise<ProcessInfo[]> {
    return await waitFor(async () => {
      const list = await this.port.status();
      return list.filter((p) => p.state === "RUNNING").length === count ? list : null;
    }, { timeout: 120_000, what: `${count} instances RUNNING` });
  }

  async kill9(): Promise<void> {
    this.child.kill("SIGKILL");
    await this.child.status;
    this.port.close();
  }

  async shutdown(): Promise<number> {
    this.child.kill("SIGTERM");
    const status = await this.child.status;
    this.port.close();
    return status.code;
  }
}

async function setup(yaml: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "tm-recovery-" });
  await Deno.writeTextFile(`${dir}/taskmaster.yaml`, yaml);
  return dir;
}

async function cleanup(dir: string, marker: string): Promise<void> {
  for (const run of [...live].filter((r) => r.dir === dir)) {
    try {
      run.child.kill("SIGKILL");
    } catch { /* gone */ }
    await run.child.status;
    run.port.close();
  }
  for (const pid of marked(marker)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

/**
 * TM_RECOVERY_REPEAT=N runs the burst and reload tests N times each, killing
 * at a random point (a soak for the in-flight-spawn race; the suite runs once).
 */
const REPEAT = Number(Deno.env.get("TM_RECOVERY_REPEAT") ?? "1");
const randomPause = () =>
  REPEAT > 1 ? new Promise((r) => setTimeout(r, Math.random() * 300)) : Promise.resolve();

const eventLog = (dir: string) => Deno.readTextFile(`${dir}/taskmaster.log`).catch(() => "");
/** Waits for the event log to show `line`: it is written a moment after the action. */
async function logShows(dir: string, line: RegExp): Promise<void> {
  await waitFor(async () => line.test(await eventLog(dir)), { what: `the log line ${line}` })
    // On a timeout, fail with the whole log in the message.
    .catch(async () => assert.match(await eventLog(dir), line));
}

/**
 * Kills the first run with -9 once `before(first)` has happened, starts a
 * second on the same files and checks: never more than `expected` marked
 * processes, then exactly `expected`, none of them from the first run.
 */
async function killAndRestart(
  dir: string,
  marker: string,
  expected: number,
  before: (first: Run) => Promise<void>,
): Promise<{ second: Run; log: string; oldPids: number[] }> {
  const first = new Run(dir);
  await first.ready();
  await before(first);
  await first.kill9();
  const oldPids = marked(marker);
  const watch = watchCount(marker);
  const second = new Run(dir);
  await second.ready();
  await second.running(expected);
  await waitFor(() => marked(marker).length === expected, {
    timeout: 120_000,
    what: `exactly ${expected} marked processes`,
  });
  const max = await watch.stop();
  assert.ok(
    max <= expected,
    `at one moment ${max} instances ran, over ${expected} (old: ${
      oldPids.join(" ")
    }):\n${watch.peak()}`,
  );
  const now = marked(marker);
  assert.equal(now.length, expected);
  assert.deepEqual(now.filter((pid) => oldPids.includes(pid)), [], "no process of the old run");
  return { second, log: await eventLog(dir), oldPids };
}

for (const mode of ["cgroup", "process-group"] as const) {
  Deno.test(`kill -9 in steady state, then restart: 20 instances, never 40 (${mode} mode)`, async () => {
    const marker = mode === "cgroup" ? m("1010.11") : m("1010.12");
    const dir = await setup(`${mode === "cgroup" ? "" : "taskmaster:\n  cgroup: false\n"}
programs:
  web:
    cmd: /bin/sleep ${marker}
    numprocs: 20
    starttime: 0.2
    stoptime: 2
`);
    try {
      const { second, log, oldPids } = await killAndRestart(dir, marker, 20, async (first) => {
        await first.running(20);
      });
      // What the hostile tester saw: all 20 survived the daemon's death.
      assert.equal(oldPids.length, 20);
      assert.equal(
        (log.match(/recovered web:\d+ \(pid \d+\) left by a previous taskmaster: stopped/g) ?? [])
          .length,
        20,
      );
      assert.match(log, /previous taskmaster \(pid \d+\) is gone/);
      assert.match(
        log,
        mode === "cgroup"
          ? /process tracking: every instance in its own cgroup/
          : /process tracking: process groups only/,
      );
      assert.equal(await second.shutdown(), 0);
      assert.deepEqual(marked(marker), []);
      await assert.rejects(Deno.stat(`${dir}/taskmaster.state`), "a clean exit leaves no state");
    } finally {
      await cleanup(dir, marker);
    }
  });
}

for (const mode of ["cgroup", "process-group"] as const) {
  Deno.test(`kill -9 during a spawn burst of 200, then restart: exactly 200, never more (${mode} mode)`, async () => {
    const marker = mode === "cgroup" ? m("1010.21") : m("1010.22");
    for (let round = 0; round < REPEAT; round++) {
      const dir = await setup(`${mode === "cgroup" ? "" : "taskmaster:\n  cgroup: false\n"}
programs:
  burst:
    cmd: /bin/sleep ${marker}
    numprocs: 200
    starttime: 0
    stoptime: 2
`);
      const killAt = REPEAT > 1 ? 1 + Math.floor(Math.random() * 190) : 20;
      try {
        const { second } = await killAndRestart(dir, marker, 200, async () => {
          await waitFor(() => marked(marker).length >= killAt, {
            timeout: 120_000,
            what: "the burst",
          });
        });
        assert.equal(await second.shutdown(), 0);
        assert.deepEqual(marked(marker), []);
      } finally {
        await cleanup(dir, marker);
      }
    }
  });
}

Deno.test("kill -9 during stop all, then restart: 20 instances, no survivor of the stop", async () => {
  const marker = m("1010.31");
  // SIGTERM is ignored (and stays ignored across exec): each stop waits for stoptime.
  const dir = await setup(`
programs:
  stubborn:
    cmd: /bin/sh -c 'trap "" TERM; exec /bin/sleep ${marker}'
    numprocs: 20
    starttime: 0.2
    stoptime: 2
`);
  try {
    const { second, log } = await killAndRestart(dir, marker, 20, async (first) => {
      await first.running(20);
      first.port.stop(["all"]).catch(() => {});
      await waitFor(async () => {
        const list = await first.port.status();
        return list.some((p) => p.state === "STOPPING");
      }, "a STOPPING instance");
    });
    assert.equal((log.match(/recovered stubborn:\d+ \(pid \d+\) left by/g) ?? []).length, 20);
    assert.equal(await second.shutdown(), 0);
    assert.deepEqual(marked(marker), []);
  } finally {
    await cleanup(dir, marker);
  }
});

for (const mode of ["cgroup", "process-group"] as const) {
  Deno.test(`kill -9 during a reload, then restart: the new config's count, never more (${mode} mode)`, async () => {
    const marker = mode === "cgroup" ? m("1010.41") : m("1010.42");
    const config = (numprocs: number, generation: number) => `
${mode === "cgroup" ? "" : "taskmaster:\n  cgroup: false\n"}
programs:
  app:
    cmd: /bin/sleep ${marker}
    numprocs: ${numprocs}
    env: { GENERATION: ${generation} }
    starttime: 0
    stoptime: 2
`;
    for (let round = 0; round < REPEAT; round++) {
      const dir = await setup(config(10, 1));
      try {
        const { second } = await killAndRestart(dir, marker, 15, async (first) => {
          await first.running(10);
          // A changed env restarts all 10; numprocs adds 5: kill while that is under way.
          await Deno.writeTextFile(`${dir}/taskmaster.yaml`, config(15, 2));
          first.port.reload().catch(() => {});
          await waitFor(
            () =>
              Deno.readTextFile(`${dir}/taskmaster.log`).then((l) => l.includes("stopped: app")),
            "the reload to be under way",
          );
          await randomPause();
        });
        assert.equal(await second.shutdown(), 0);
        assert.deepEqual(marked(marker), []);
      } finally {
        await cleanup(dir, marker);
      }
    }
  });
}

Deno.test("a setsid'd grandchild is gone after stop, after shutdown and after recovery (cgroup mode)", async () => {
  const grandchild = m("1010.51");
  const dir = await setup(`
programs:
  escaper:
    cmd: /bin/sh -c 'setsid /bin/sleep ${grandchild} & exec /bin/sleep ${m("1010.52")}'
    starttime: 0.2
    stoptime: 2
`);
  try {
    const first = new Run(dir);
    await first.ready();
    let [info] = await first.running(1);
    assert.match(info!.cgroup ?? "", /\/taskmaster-[0-9a-f]{8}\/taskmaster\/escaper\/escaper$/);
    await waitFor(() => marked(grandchild).length === 1, "the grandchild");
    assert.equal((await first.port.status())[0]!.processes, 2);
    // As `status --json` prints it: the instance's cgroup and its live processes.
    const ctl = await runTaskmaster(["ctl", "-s", `${dir}/taskmaster.sock`, "status", "--json"]);
    const [shown] = JSON.parse(ctl.stdout) as ProcessInfo[];
    assert.equal(shown!.cgroup, info!.cgroup);
    assert.equal(shown!.processes, 2);
    // It left the process group: only the cgroup still holds it.
    const escaped = marked(grandchild)[0]!;
    assert.notEqual(
      Deno.readTextFileSync(`/proc/${escaped}/stat`).split(") ")[1]!.split(" ")[2],
      String(info!.pid),
    );

    await first.port.stop(["escaper"]);
    assert.deepEqual(marked(grandchild), [], "gone after stop");
    await assert.rejects(Deno.stat(info!.cgroup!), "an empty cgroup is removed");
    await first.port.start(["escaper"]);
    await waitFor(() => marked(grandchild).length === 1, "the grandchild again");
    assert.equal(await first.shutdown(), 0);
    assert.deepEqual(marked(grandchild), [], "gone after shutdown");
    await assert.rejects(Deno.stat(info!.cgroup!), "empty cgroups are removed");
    const tree = info!.cgroup!.replace(/\/taskmaster\/escaper\/escaper$/, "");
    await assert.rejects(Deno.stat(tree), "the daemon's whole cgroup tree is removed at exit");

    const second = new Run(dir);
    await second.ready();
    [info] = await second.running(1);
    await waitFor(() => marked(grandchild).length === 1, "the grandchild of the second run");
    const old = marked(grandchild);
    await second.kill9();
    const third = new Run(dir);
    await third.ready();
    await third.running(1);
    await waitFor(() => onlyOneOtherThan(grandchild, old[0]!), {
      what: "a new grandchild only",
    });
    assert.ok(!marked(grandchild).includes(old[0]!), "gone after recovery");
    assert.equal(await third.shutdown(), 0);
    assert.deepEqual(marked(grandchild), []);
  } finally {
    await cleanup(dir, m("1010.5"));
  }
});

/**
 * Starts `sleep marker` as a spawn of a taskmaster on `dir` that died before
 * its state file listed it: the new taskmaster must find it all the same.
 */
function strayInstance(dir: string, marker: string, cgroup: string | null): Deno.ChildProcess {
  const enter = cgroup === null ? "" : `echo $$ >'${cgroup}/cgroup.procs' && `;
  return new Deno.Command("/bin/sh", {
    args: ["-c", `${enter}exec /bin/sleep ${marker}`],
    env: cgroup !== null ? {} : {
      SUPERVISOR_ENABLED: "1",
      SUPERVISOR_SERVER_URL: `unix://${dir}/taskmaster.sock`,
      SUPERVISOR_GROUP_NAME: "web",
      SUPERVISOR_PROCESS_NAME: "2",
    },
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
    detached: true,
  }).spawn();
}

for (const mode of ["cgroup", "process-group"] as const) {
  Deno.test(`a spawn the state file missed is stopped before anything starts (found by ${mode === "cgroup" ? "its cgroup" : "its environment"})`, async () => {
    const marker = mode === "cgroup" ? m("1010.61") : m("1010.62");
    const dir = await setup(`taskmaster:
  statefile: taskmaster.state
${mode === "cgroup" ? "" : "  cgroup: false\n"}
programs:
  web:
    cmd: /bin/sleep ${marker}
    numprocs: 3
    starttime: 0
    stoptime: 2
`);
    let cgroup: string | null = null;
    if (mode === "cgroup") {
      const mount = cgroup2Mount();
      assert.ok(mount !== null, "a writable cgroup v2 hierarchy (these machines have one)");
      cgroup = `${mount}/taskmaster-${pathKey(`${dir}/taskmaster.state`)}/taskmaster/web/web:2`;
      await Deno.mkdir(cgroup, { recursive: true });
    }
    const stray = strayInstance(dir, marker, cgroup);
    try {
      await waitFor(() => marked(marker).length === 1, "the stray instance");
      const watch = watchCount(marker);
      const run = new Run(dir);
      await run.ready();
      await run.running(3);
      await waitFor(() => marked(marker).length === 3, "exactly 3 instances");
      assert.ok((await watch.stop()) <= 3, "the stray never ran beside the new web:2");
      assert.ok(!marked(marker).includes(stray.pid));
      await logShows(
        dir,
        new RegExp(`recovered web:2 \\(pid ${stray.pid}\\) left by a previous taskmaster: stopped`),
      );
      assert.equal(await run.shutdown(), 0);
      assert.deepEqual(marked(marker), []);
      await stray.status;
      if (cgroup !== null) await assert.rejects(Deno.stat(cgroup), "its empty cgroup is removed");
    } finally {
      await cleanup(dir, marker);
    }
  });
}

Deno.test("kill -9, then restart: an event listener of the old run is stopped too (found by its environment)", async () => {
  const marker = m("1010.91");
  const dir = await setup(`
programs:
  web:
    cmd: /bin/sleep ${m("1010.92")}
    starttime: 0
eventlisteners:
  spy:
    cmd: /bin/sh -c 'printf "READY\\n"; exec /bin/sleep ${marker}'
    events: [PROCESS_STATE]
`);
  try {
    const first = new Run(dir);
    await first.ready();
    // The spawn shim's argv holds the marker too: wait for the exec, past its parent check
    // (a shim that finds its parent killed exits by itself, and nothing is left to recover).
    await waitFor(
      () => {
        const now = marked(marker);
        return now.length === 1 && commOf(now[0]!) === "sleep";
      },
      "the listener",
    );
    const [old] = marked(marker);
    await first.kill9();
    const watch = watchCount(marker);
    const second = new Run(dir);
    await second.ready();
    await waitFor(() => onlyOneOtherThan(marker, old!), {
      timeout: 60_000,
      what: "the new listener only",
    });
    assert.ok((await watch.stop()) <= 1, "never two listeners");
    await logShows(
      dir,
      new RegExp(`recovered spy \\(pid ${old}\\) left by a previous taskmaster: stopped`),
    );
    assert.equal(await second.shutdown(), 0);
    assert.deepEqual(marked(marker), []);
  } finally {
    await cleanup(dir, m("1010.9"));
  }
});

Deno.test("a SIGTERM while recovery stops a dead run's program: clean exit 0, nothing started", async () => {
  const marker = m("1010.95");
  // SIGTERM is ignored (and stays ignored across exec): recovery waits its stoptime.
  const dir = await setup(`
programs:
  stubborn:
    cmd: /bin/sh -c 'trap "" TERM; exec /bin/sleep ${marker}'
    starttime: 0
    stoptime: 3
`);
  try {
    const first = new Run(dir);
    await first.ready();
    await first.running(1);
    const [old] = marked(marker);
    // RUNNING comes before the state file lists it when a loaded machine made the
    // last write slow (writes are then spaced out): this test is about the listed case.
    await waitFor(
      () => Deno.readTextFile(`${dir}/taskmaster.state`).then((t) => t.includes('"stubborn"')),
      { what: "the state file to list stubborn" },
    );
    await first.kill9();
    const second = new Run(dir);
    await second.ready();
    // The socket answers before recovery ends: signal while it waits on the old instance.
    await logShows(dir, /previous taskmaster \(pid \d+\) is gone; stopping the 1 instance/);
    assert.ok(marked(marker).includes(old!), "recovery is still waiting on the old instance");
    assert.equal(await second.shutdown(), 0, "a held SIGTERM, not Deno's default death (143)");
    assert.deepEqual(marked(marker), []);
    const log = await eventLog(dir);
    assert.match(log, /SIGTERM received during start-up: shutting down/);
    assert.match(log, /recovered stubborn \(pid \d+\) left by a previous taskmaster: stopped/);
    assert.equal(
      (log.match(/spawned: 'stubborn'/g) ?? []).length,
      1,
      "only the first run ever spawned it",
    );
    for (const left of ["taskmaster.sock", "taskmaster.pid", "taskmaster.state"]) {
      await assert.rejects(Deno.stat(`${dir}/${left}`), `${left} is removed`);
    }
  } finally {
    await cleanup(dir, marker);
  }
});
