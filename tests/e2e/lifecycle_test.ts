import assert from "node:assert/strict";
import { WARM_UP_NAME } from "../../src/api/warm_request.ts";
import { TestDaemon } from "../_helpers/daemon.ts";
import { alive, exists, waitFor } from "../_helpers/wait_for.ts";

Deno.test("a program that stays up starttime seconds becomes RUNNING with a live pid", async () => {
  await using d = await TestDaemon.start(`
programs:
  sleeper:
    cmd: /bin/sleep 1000
    starttime: 0.3
`);
  const p = await d.waitState("sleeper", "RUNNING");
  assert.ok(p.pid !== null && alive(p.pid));
  assert.match(p.description, /^pid \d+, uptime \d+:\d\d:\d\d$/);
});

Deno.test("kill -9 of a RUNNING child is seen at once and it is restarted", async () => {
  await using d = await TestDaemon.start(`
programs:
  sleeper:
    cmd: /bin/sleep 1000
    starttime: 0.2
`);
  const first = await d.waitState("sleeper", "RUNNING");
  Deno.kill(first.pid!, "SIGKILL");
  const again = await waitFor(async () => {
    const p = await d.info("sleeper");
    return p.pid !== null && p.pid !== first.pid ? p : null;
  });
  assert.notEqual(again.pid, first.pid);
  assert.match(await d.eventLog(), /exited: sleeper \(terminated by SIGKILL; not expected\)/);
});

Deno.test("a child restarted after kill -9 logs after the last one, and its stdin takes writes", async () => {
  // The next child is started as the last one is reaped, before the exit is
  // reported (instance_child.ts prespawn): its pipes wait for the restart.
  await using d = await TestDaemon.start(`
programs:
  echo:
    cmd: /bin/sh -c 'echo "up $$"; while read -r line; do echo "got $line in $$"; done'
    starttime: 0
    stdout: echo.log
`);
  const log = () => Deno.readTextFile(`${d.dir}/echo.log`).catch(() => "");
  const first = await d.waitState("echo", "RUNNING");
  await d.port.sendStdin("echo", new TextEncoder().encode("one\n"));
  await waitFor(async () => (await log()).includes(`got one in ${first.pid}`), { what: "one" });
  Deno.kill(first.pid!, "SIGKILL");
  const again = await waitFor(async () => {
    const p = await d.info("echo");
    return p.pid !== null && p.pid !== first.pid && p.state === "RUNNING" ? p : null;
  });
  d.track(again.pid!);
  await d.port.sendStdin("echo", new TextEncoder().encode("two\n"));
  await waitFor(async () => (await log()).includes(`got two in ${again.pid}`), { what: "two" });
  assert.equal(
    await log(),
    `up ${first.pid}\ngot one in ${first.pid}\nup ${again.pid}\ngot two in ${again.pid}\n`,
  );
  assert.match(await d.eventLog(), new RegExp(`spawned: 'echo' with pid ${again.pid}`));
});

Deno.test("kill -9 under autorestart never leaves the program EXITED", async () => {
  await using d = await TestDaemon.start(`
programs:
  sleeper:
    cmd: /bin/sleep 1000
    starttime: 0.2
    autorestart: never
`);
  const first = await d.waitState("sleeper", "RUNNING");
  Deno.kill(first.pid!, "SIGKILL");
  const p = await d.waitState("sleeper", "EXITED");
  assert.equal(p.pid, null);
  assert.equal(p.signal, "SIGKILL");
});

Deno.test("an expected exit is not restarted under autorestart unexpected; always restarts it", async () => {
  await using d = await TestDaemon.start(`
programs:
  once:
    cmd: /bin/sh -c "sleep 0.5; exit 3"
    starttime: 0.2
    exitcodes: [0, 3]
  loop:
    cmd: /bin/sh -c "sleep 0.5; exit 0"
    starttime: 0.2
    autorestart: always
`);
  const once = await d.waitState("once", "EXITED");
  assert.equal(once.exitcode, 3);
  await waitFor(async () => ((await d.eventLog()).match(/spawned: 'loop'/g) ?? []).length >= 2, {
    what: "loop to be spawned twice",
  });
  assert.equal(((await d.eventLog()).match(/spawned: 'once'/g) ?? []).length, 1);
});

Deno.test("a command that always fails goes FATAL after exactly 1 + startretries spawns", async () => {
  await using d = await TestDaemon.start(`
programs:
  crasher:
    cmd: /bin/sh -c "exit 1"
    startretries: 2
    # Generous: on a loaded machine an exit can be seen more than 1 s after the spawn.
    starttime: 5
`);
  const p = await d.waitState("crasher", "FATAL", 20_000);
  assert.equal(p.exitcode, 1);
  // The state changes before the event log's line reaches the file: wait for the line.
  const log = await waitFor(async () => {
    const text = await d.eventLog();
    return /gave up: crasher/.test(text) ? text : null;
  }, "the gave-up line in the event log");
  assert.equal((log.match(/spawned: 'crasher'/g) ?? []).length, 3);
  assert.match(log, /gave up: crasher entered FATAL state, too many start retries too quickly/);
});

Deno.test("a missing command is a failed start with the reason in status, then FATAL", async () => {
  await using d = await TestDaemon.start(`
programs:
  ghost:
    cmd: /nonexistent/bin --flag
    startretries: 0
`);
  const p = await d.waitState("ghost", "FATAL");
  assert.equal(p.spawnerr, "can't find command '/nonexistent/bin'");
  assert.equal(p.description, "can't find command '/nonexistent/bin'");
});

Deno.test("start of a FATAL program from the shell resets its retries", async () => {
  await using d = await TestDaemon.start(`
programs:
  crasher:
    cmd: /bin/sh -c "exit 1"
    startretries: 1
    starttime: 5
`);
  await d.waitState("crasher", "FATAL", 20_000);
  const results = await d.port.start(["crasher"]);
  assert.equal(results[0]?.ok, false);
  assert.equal(results[0]?.error?.code, "ABNORMAL_TERMINATION");
  await d.waitState("crasher", "FATAL", 20_000);
  assert.equal(((await d.eventLog()).match(/spawned: 'crasher'/g) ?? []).length, 4);
});

Deno.test("stop sends stopsignal, escalates to SIGKILL after stoptime, and no grandchild survives", async () => {
  await using d = await TestDaemon.start(`
programs:
  stubborn:
    cmd: /bin/sh -c "trap '' TERM; /bin/sleep 1000 & echo $! > grandchild.pid; while true; do sleep 0.1; done"
    starttime: 0.2
    stoptime: 1
`);
  const p = await d.waitState("stubborn", "RUNNING");
  const grandchild = Number(
    await waitFor(() => Deno.readTextFile(`${d.dir}/grandchild.pid`).catch(() => "")),
  );
  d.track(grandchild);
  assert.ok(alive(grandchild));
  const [result] = await d.port.stop(["stubborn"]);
  assert.deepEqual(result, { name: "stubborn", ok: true });
  const after = await d.info("stubborn");
  assert.equal(after.state, "STOPPED");
  assert.ok(!alive(p.pid!), "the leader is gone");
  assert.ok(!alive(grandchild), "the grandchild is gone");
  // Orphans are re-parented to taskmaster (subreaper) and reaped: not even a zombie is left.
  await waitFor(() => !exists(grandchild), { what: "the grandchild to be reaped" });
  assert.match(await d.eventLog(), /killing 'stubborn' .* with SIGKILL/);
});

Deno.test("a grandchild that outlives its leader's exit on SIGTERM is still stopped", async () => {
  await using d = await TestDaemon.start(`
programs:
  parent:
    cmd: /bin/sh -c "/bin/sh -c 'trap \\"\\" TERM; sleep 1000' & echo $! > gc.pid; wait"
    starttime: 0.2
    stoptime: 1
`);
  await d.waitState("parent", "RUNNING");
  const grandchild = Number(
    await waitFor(() => Deno.readTextFile(`${d.dir}/gc.pid`).catch(() => "")),
  );
  d.track(grandchild);
  await d.port.stop(["parent"]);
  assert.ok(!alive(grandchild));
});

Deno.test("numprocs runs named instances and every command takes program, instance or all", async () => {
  await using d = await TestDaemon.start(`
programs:
  worker:
    cmd: /bin/sleep 1000
    numprocs: 3
    starttime: 0.2
`);
  for (const name of ["worker:0", "worker:1", "worker:2"]) await d.waitState(name, "RUNNING");
  assert.deepEqual((await d.port.stop(["worker:1"])).map((r) => r.name), ["worker:1"]);
  assert.equal((await d.info("worker:1")).state, "STOPPED");
  assert.deepEqual((await d.port.stop(["worker"])).map((r) => [r.name, r.ok]), [
    ["worker:0", true],
    ["worker:1", false],
    ["worker:2", true],
  ]);
  const started = await d.port.start(["all"]);
  assert.deepEqual(started.map((r) => r.ok), [true, true, true]);
});

Deno.test("shutdown stops every program and leaves no process behind", async () => {
  const d = await TestDaemon.start(`
programs:
  a:
    cmd: /bin/sh -c "sleep 1000 & wait"
    numprocs: 2
    starttime: 0
  b:
    cmd: /bin/sleep 1000
    starttime: 0
`);
  const procs = await waitFor(async () => {
    const list = await d.status();
    return list.every((p) => p.state === "RUNNING") ? list : null;
  });
  const { code } = await d.stop();
  assert.equal(code, 0);
  for (const p of procs) assert.ok(!alive(p.pid!), `${p.name} (${p.pid}) is gone`);
  await Deno.remove(d.dir, { recursive: true });
});

Deno.test("stop all sends a member that left the group (setsid) its stopsignal once, with its group", async () => {
  // The stopsignals go out ahead of the stop events (group_signaller.ts): each
  // escaped member must still get exactly one (a second within its trap's
  // 0.3 s would show as a second line).
  await using d = await TestDaemon.start(`
programs:
  escapers:
    cmd: /bin/sh -c "setsid /bin/sh -c 'trap \\"echo got >> escaped.$SUPERVISOR_PROCESS_NAME; sleep 0.3; exit 0\\" USR1; echo > up.$SUPERVISOR_PROCESS_NAME; while true; do sleep 0.1; done' & trap 'exit 0' USR1; while true; do sleep 0.1; done"
    numprocs: 3
    starttime: 0.2
    stopsignal: USR1
    stoptime: 5
    exitcodes: [0]
`);
  for (let i = 0; i < 3; i++) {
    await d.waitState(`escapers:${i}`, "RUNNING");
    await waitFor(() => Deno.stat(`${d.dir}/up.${i}`).then(() => true, () => false), {
      what: `escapers:${i}'s setsid'd shell`,
    });
  }
  const results = await d.port.stop(["all"]);
  assert.deepEqual(results.map((r) => r.ok), [true, true, true]);
  for (let i = 0; i < 3; i++) {
    const info = await d.info(`escapers:${i}`);
    assert.equal(info.state, "STOPPED");
    assert.equal(info.processes ?? 0, 0, `escapers:${i}: its cgroup is empty`);
    assert.equal(await Deno.readTextFile(`${d.dir}/escaped.${i}`), "got\n", `escapers:${i}`);
  }
});

Deno.test("a member that left the group gets its stopsignal while its leader ignores it, before stoptime's SIGKILL", async () => {
  // The member's stopsignal waits for the leader's exit (group_signaller.ts),
  // at most a short grace: this leader never exits of it. SIGKILL cannot be
  // trapped, so the line shows the member got the stopsignal itself.
  await using d = await TestDaemon.start(`
programs:
  stubborn:
    cmd: /bin/sh -c "setsid /bin/sh -c 'trap \\"echo got >> escaped; exit 0\\" USR1; echo > up; while true; do sleep 0.1; done' & trap '' USR1; while true; do sleep 0.1; done"
    starttime: 0.2
    stopsignal: USR1
    stoptime: 2
`);
  await d.waitState("stubborn", "RUNNING");
  await waitFor(() => Deno.stat(`${d.dir}/up`).then(() => true, () => false), {
    what: "the setsid'd shell",
  });
  let stopped = false;
  const stopping = d.port.stop(["stubborn"]).finally(() => stopped = true);
  await waitFor(
    () => Deno.readTextFile(`${d.dir}/escaped`).then((t) => t === "got\n", () => false),
    { what: "the setsid'd shell's line" },
  );
  assert.ok(!stopped, "the line came while the leader still lived, before stoptime's SIGKILL");
  const results = await stopping;
  assert.deepEqual(results.map((r) => r.ok), [true]);
  const info = await d.info("stubborn");
  assert.equal(info.state, "STOPPED");
  assert.equal(info.processes ?? 0, 0, "its cgroup is empty");
  assert.equal(await Deno.readTextFile(`${d.dir}/escaped`), "got\n");
});

Deno.test("shutdown stops what an exited program left behind, and leaves no zombie", async () => {
  const d = await TestDaemon.start(`
programs:
  daemonizer:
    cmd: /bin/sh -c "/bin/sleep 1000 & echo $! > left.pid; exit 0"
    starttime: 0
    autorestart: never
`);
  await d.waitState("daemonizer", "EXITED");
  const left = Number(await waitFor(() => Deno.readTextFile(`${d.dir}/left.pid`).catch(() => "")));
  assert.ok(alive(left), "the grandchild outlives its parent");
  const { code } = await d.stop();
  assert.equal(code, 0);
  await waitFor(() => !exists(left), { what: "the leftover to be stopped and reaped" });
  await Deno.remove(d.dir, { recursive: true });
});

Deno.test("stop all sends each instance its stopsignal once, then logs each stop in order", async () => {
  // Each instance appends a line per USR1 it gets and exits 0.3 s after the first:
  // a second signal in that time would show as a second line.
  await using d = await TestDaemon.start(`
programs:
  counted:
    cmd: /bin/sh -c "trap 'echo got >> signals.$SUPERVISOR_PROCESS_NAME; sleep 0.3; exit 0' USR1; while true; do sleep 0.1; done"
    numprocs: 4
    starttime: 0.2
    stopsignal: USR1
    exitcodes: [0]
`);
  for (let i = 0; i < 4; i++) await d.waitState(`counted:${i}`, "RUNNING");
  const results = await d.port.stop(["all"]);
  assert.deepEqual(results.map((r) => r.ok), [true, true, true, true]);
  for (let i = 0; i < 4; i++) {
    assert.equal((await d.info(`counted:${i}`)).state, "STOPPED");
    assert.equal(await Deno.readTextFile(`${d.dir}/signals.${i}`), "got\n", `counted:${i}`);
  }
  const log = await d.eventLog();
  for (let i = 0; i < 4; i++) {
    const stopping = log.indexOf(`stopping: 'counted:${i}'`);
    assert.ok(stopping >= 0 && stopping < log.indexOf(`stopped: counted:${i}`), log);
  }
});

/** The scheduling policy of thread `tid` of `pid` (field 41 of its stat): 0 is SCHED_OTHER. */
function policyOf(pid: number, tid = pid): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/task/${tid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[41 - 3]);
}

Deno.test("stop all leaves the daemon at the normal scheduling policy", async () => {
  await using d = await TestDaemon.start(`
programs:
  worker:
    cmd: /bin/sleep 1000
    numprocs: 20
    starttime: 0
`);
  await waitFor(async () => (await d.status()).every((p) => p.state === "RUNNING") || null);
  const daemon = await d.port.daemonPid();
  assert.equal(policyOf(daemon), 0);
  const stopped = await d.port.stop(["all"]);
  assert.ok(stopped.every((r) => r.ok), JSON.stringify(stopped));
  // The stopsignals went out at real-time priority (as root); the thread is back to normal.
  assert.equal(policyOf(daemon), 0);
});

Deno.test("what the daemon's start-up warm-up request asks stops nothing: no program has that name", async () => {
  await using d = await TestDaemon.start(`
programs:
  worker:
    cmd: /bin/sleep 1000
    numprocs: 2
    starttime: 0
`);
  const before = await waitFor(async () => {
    const list = await d.status();
    return list.every((p) => p.state === "RUNNING") ? list : null;
  });
  const answer = await d.port.stop([WARM_UP_NAME], { perName: true });
  assert.deepEqual(answer.map((r) => [r.name, r.ok, r.error?.code]), [
    [WARM_UP_NAME, false, "BAD_NAME"],
  ]);
  assert.deepEqual(
    (await d.status()).map((p) => [p.name, p.state, p.pid]),
    before.map((p) => [p.name, p.state, p.pid]),
  );
});
