import assert from "node:assert/strict";
import { TestDaemon } from "../_helpers/daemon.ts";
import { alive, waitFor } from "../_helpers/wait_for.ts";

/** Children of `pid` started by one of its threads other than the main one. */
function offMainChildren(pid: number): number[] {
  const found: number[] = [];
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    if (Number(task.name) === pid) continue;
    try {
      const text = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim();
      if (text !== "") found.push(...text.split(" ").map(Number));
    } catch { /* the thread ended */ }
  }
  return found;
}

/** Whether daemon `daemonPid` holds a pidfd of `pid`: the native code's arm for it. */
function armedFor(daemonPid: number, pid: number): boolean {
  for (const fd of Deno.readDirSync(`/proc/${daemonPid}/fd`)) {
    try {
      if (Deno.readLinkSync(`/proc/${daemonPid}/fd/${fd.name}`) !== "anon_inode:[pidfd]") continue;
      const info = Deno.readTextFileSync(`/proc/${daemonPid}/fdinfo/${fd.name}`);
      if (new RegExp(`^Pid:\\s+${pid}$`, "m").test(info)) return true;
    } catch { /* closed meanwhile */ }
  }
  return false;
}

/** Waits until the native code has armed the daemon for `pid`'s exit. */
function armed(daemonPid: number, pid: number): Promise<true> {
  return waitFor(() => armedFor(daemonPid, pid) || null, { what: `the arm for pid ${pid}` });
}

const CONFIG = `
programs:
  echo:
    cmd: /bin/sh -c 'echo "up $$ $SUPERVISOR_PROCESS_NAME"; exec sleep 1000'
    starttime: 0
    stdout: echo.log
`;

Deno.test("after its first restart, a killed program is restarted by the native code: logged, its output captured, stopped clean", async () => {
  await using d = await TestDaemon.start(CONFIG);
  const daemonPid = await d.port.daemonPid();
  const log = () => Deno.readTextFile(`${d.dir}/echo.log`).catch(() => "");
  const pids: number[] = [(await d.waitState("echo", "RUNNING")).pid!];
  let native = 0;
  for (let kill = 0; kill < 5; kill++) {
    const last = pids.at(-1)!;
    // Armed a few ms after RUNNING once the program has restarted (instance_child.ts).
    if (kill > 0) await armed(daemonPid, last);
    Deno.kill(last, "SIGKILL");
    const next = await waitFor(async () => {
      const p = await d.info("echo");
      return p.pid !== null && p.pid !== last && p.state === "RUNNING" ? p.pid : null;
    }, { what: `the restart after kill ${kill + 1}` });
    d.track(next);
    if (offMainChildren(daemonPid).includes(next)) native++;
    pids.push(next);
    await waitFor(async () => (await log()).includes(`up ${next} `) ? true : null, {
      what: `the output of pid ${next}`,
    });
  }
  // The first restart is the main thread's; the next ones may be the native code's
  // (unless a sweep happens to collect an exit first, which then restarts it the old way).
  assert.ok(native >= 2, `${native} of 5 restarts by the native code`);
  assert.equal(await log(), pids.map((pid) => `up ${pid} echo\n`).join(""));
  const events = await d.eventLog();
  for (const [i, pid] of pids.slice(1).entries()) {
    const exited = events.indexOf(
      `exited: echo (terminated by SIGKILL`,
      events.indexOf(`pid ${pids[i]}`),
    );
    const spawned = events.indexOf(`spawned: 'echo' with pid ${pid}`);
    assert.ok(
      exited >= 0 && spawned > exited,
      `pid ${pids[i]}'s exit logged before pid ${pid}'s spawn`,
    );
  }
  assert.doesNotMatch(events, /started ahead of a restart/);
  // A stop ends the child the native code started, and starts none.
  const [stopped] = await d.port.stop(["echo"]);
  assert.ok(stopped!.ok, JSON.stringify(stopped));
  await d.waitState("echo", "STOPPED");
  assert.equal((await d.info("echo")).pid, null);
  for (const pid of pids) assert.ok(!alive(pid), `pid ${pid} is gone`);
  assert.deepEqual(offMainChildren(daemonPid), []);
  assert.doesNotMatch(await d.eventLog(), /started ahead of a restart/);
});

Deno.test("a program that exits as expected is not restarted by the native code; a stop signal does not restart an armed one", async () => {
  await using d = await TestDaemon.start(`
programs:
  once:
    cmd: /bin/sh -c 'read -r line; exit 0'
    starttime: 0
    autorestart: unexpected
  kept:
    cmd: /bin/sleep 1000
    starttime: 0
    autorestart: always
`);
  const daemonPid = await d.port.daemonPid();
  // A first restart keeps what the native code needs: kill -9 both once.
  for (const name of ["once", "kept"]) {
    const first = await d.waitState(name, "RUNNING");
    Deno.kill(first.pid!, "SIGKILL");
    await waitFor(async () => {
      const p = await d.info(name);
      return p.pid !== null && p.pid !== first.pid && p.state === "RUNNING" ? p : null;
    }, { what: `${name} restarted` });
  }
  const once = await d.info("once");
  const kept = await d.info("kept");
  // Both armed: what follows is the native code's to decline.
  await armed(daemonPid, once.pid!);
  await armed(daemonPid, kept.pid!);
  await d.port.sendStdin("once", new TextEncoder().encode("go\n"));
  const exited = await d.waitState("once", "EXITED");
  assert.equal(exited.exitcode, 0);
  const [stopped] = await d.port.stop(["kept"]);
  assert.ok(stopped!.ok);
  // The native code decides at the exit, before the daemon sees it: no wait is needed.
  await d.waitState("kept", "STOPPED");
  assert.deepEqual(offMainChildren(daemonPid), [], "nothing started by the native code");
  const events = await d.eventLog();
  assert.doesNotMatch(events, /started ahead of a restart/);
  assert.equal(events.split(`spawned: 'once'`).length - 1, 2, `once: two spawns\n${events}`);
  assert.ok(!alive(once.pid!) && !alive(kept.pid!));
});
