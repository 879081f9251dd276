/**
 * The state file as a user sees it (issue 10 §1): where it is, what it
 * holds while taskmaster runs, that a reused pid is never taken for ours,
 * and that a live taskmaster's files are never touched. Each test scopes
 * its processes by its own argv marker.
 */
import assert from "node:assert/strict";
import { runTaskmaster, taskmasterCommand } from "../_helpers/daemon.ts";
import { alive, waitFor } from "../_helpers/wait_for.ts";
import { connectClient } from "../../src/api/client.ts";
import type { ProcessInfo } from "../../src/api/protocol.ts";

interface StateFile {
  daemon: { pid: number; startTime: string };
  instances: {
    name: string;
    pid: number;
    pgid: number;
    startTime: string;
    cgroup: string | null;
  }[];
}

/** Field 22 of /proc/PID/stat: the process's start time in clock ticks since boot. */
function startTime(pid: number): string {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
}

function startDaemon(dir: string): Deno.ChildProcess {
  return taskmasterCommand(["-c", `${dir}/taskmaster.yaml`, "--no-shell"], {
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    cwd: dir,
  }).spawn();
}

async function runningList(dir: string, count: number): Promise<ProcessInfo[]> {
  const port = connectClient(`${dir}/taskmaster.sock`);
  try {
    return await waitFor(async () => {
      const list = await port.status().catch(() => []);
      return list.filter((p) => p.state === "RUNNING").length === count ? list : null;
    }, { timeout: 60_000, what: `${count} RUNNING` });
  } finally {
    port.close();
  }
}

async function stopDaemon(daemon: Deno.ChildProcess): Promise<void> {
  try {
    daemon.kill("SIGTERM");
  } catch { /* gone */ }
  await daemon.status;
  await daemon.stderr.cancel().catch(() => {});
}

Deno.test("taskmaster.statefile moves the state file; it lists each live instance's name, pid, group, start time (field 22) and cgroup", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tm-state-" });
  await Deno.mkdir(`${dir}/run`);
  await Deno.writeTextFile(
    `${dir}/taskmaster.yaml`,
    `taskmaster:
  statefile: run/custom.state
programs:
  web:
    cmd: /bin/sleep 1010.81
    numprocs: 2
    starttime: 0
`,
  );
  const daemon = startDaemon(dir);
  try {
    const list = await runningList(dir, 2);
    const path = `${dir}/run/custom.state`;
    const state = await waitFor(() => {
      const s = JSON.parse(Deno.readTextFileSync(path)) as StateFile;
      return s.instances.length === 2 ? s : null;
    }, "both instances in the state file");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    await assert.rejects(Deno.stat(`${dir}/taskmaster.state`), "nothing beside the pidfile");
    assert.equal(state.daemon.pid, daemon.pid);
    assert.equal(state.daemon.startTime, startTime(daemon.pid));
    for (const info of list) {
      const record = state.instances.find((r) => r.name === info.name);
      assert.ok(record, `${info.name} recorded`);
      assert.equal(record.pid, info.pid);
      assert.equal(record.pgid, info.pid, "each instance leads its own group");
      assert.equal(record.startTime, startTime(info.pid!));
      assert.equal(record.cgroup, info.cgroup ?? null);
    }
    // An exit is recorded too.
    const port = connectClient(`${dir}/taskmaster.sock`);
    await port.stop(["web:0"]);
    port.close();
    await waitFor(() => {
      const s = JSON.parse(Deno.readTextFileSync(path)) as StateFile;
      return s.instances.map((r) => r.name).join() === "web:1" || null;
    }, "web:0 gone from the state file");
    await stopDaemon(daemon);
    await assert.rejects(Deno.stat(path), "a clean exit removes it");
  } finally {
    await stopDaemon(daemon);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("a pid the state file names but that another process now has (other start time) is never touched", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tm-state-" });
  const bystander = new Deno.Command("/bin/sleep", {
    args: ["1010.82"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  const gone = new Deno.Command("/bin/true").spawn();
  await gone.status;
  try {
    await Deno.writeTextFile(
      `${dir}/taskmaster.state`,
      JSON.stringify({
        version: 1,
        daemon: { pid: gone.pid, startTime: "1" },
        cgroupRoot: null,
        instances: [{
          name: "web",
          pid: bystander.pid,
          pgid: bystander.pid,
          startTime: String(Number(startTime(bystander.pid)) - 1),
          cgroup: null,
          stopsignal: "SIGTERM",
          stoptime: 1,
        }],
      }),
    );
    await Deno.writeTextFile(
      `${dir}/taskmaster.yaml`,
      "programs:\n  web:\n    cmd: /bin/sleep 1010.83\n    starttime: 0\n",
    );
    const daemon = startDaemon(dir);
    try {
      await runningList(dir, 1);
      assert.ok(alive(bystander.pid), "the process that now has the pid lives on");
      const log = await Deno.readTextFile(`${dir}/taskmaster.log`);
      assert.doesNotMatch(log, /recovered web \(pid/);
    } finally {
      await stopDaemon(daemon);
    }
  } finally {
    bystander.kill("SIGKILL");
    await bystander.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("a second taskmaster on a live one's files touches nothing: socket in use, or (socket gone) its state file's pid alive", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tm-state-" });
  await Deno.writeTextFile(
    `${dir}/taskmaster.yaml`,
    "programs:\n  web:\n    cmd: /bin/sleep 1010.84\n    starttime: 0\n",
  );
  const first = startDaemon(dir);
  try {
    const [info] = await runningList(dir, 1);
    const statePath = `${dir}/taskmaster.state`;
    await waitFor(() => Deno.readTextFile(statePath).then((t) => t.includes('"web"')), "the state");
    const before = {
      state: await Deno.readTextFile(statePath),
      pid: await Deno.readTextFile(`${dir}/taskmaster.pid`),
    };
    const second = await runTaskmaster(["-c", `${dir}/taskmaster.yaml`, "--no-shell"], "", {
      cwd: dir,
    });
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, /in use by taskmaster pid \d+/);
    // Without its socket, the state file's daemon pid (with its start time) still decides.
    await Deno.remove(`${dir}/taskmaster.sock`);
    const third = await runTaskmaster(["-c", `${dir}/taskmaster.yaml`, "--no-shell"], "", {
      cwd: dir,
    });
    assert.equal(third.code, 1, third.stderr);
    assert.match(
      third.stderr,
      new RegExp(`taskmaster pid ${first.pid} is still running with state file ${statePath}`),
    );
    assert.equal(await Deno.readTextFile(statePath), before.state);
    assert.equal(await Deno.readTextFile(`${dir}/taskmaster.pid`), before.pid);
    assert.ok(alive(info!.pid!), "its program was not touched");
    // The refused daemons undo the cgroups they made: none, the live one's tree stays.
    const procs = await Deno.readTextFile(`${info!.cgroup}/cgroup.procs`);
    assert.ok(procs.split("\n").includes(String(info!.pid)), `its cgroup ${info!.cgroup}`);
  } finally {
    await stopDaemon(first);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
