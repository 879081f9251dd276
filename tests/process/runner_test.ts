import assert from "node:assert/strict";
import type { StateChange } from "../../src/api/protocol.ts";
import { ProcessRunner } from "../../src/process/runner.ts";
import type { Pacer } from "../../src/util/turn_pacer.ts";
import type { OutputRelay } from "../../src/process/runner_deps.ts";
import { FakeClock, FakeOs, FakeSpawner, RecordedCgroups } from "../_helpers/fake_process.ts";
import { MEMBERS_GRACE_MS } from "../../src/process/group_signaller.ts";
import { GROUP_POLL_MS } from "../../src/process/group_watch.ts";
import { program } from "../_helpers/program.ts";

function setup(
  overrides: Parameters<typeof program>[0] = {},
  groupAlive: (pgid: number) => Promise<boolean> = () => Promise.resolve(false),
  pacer?: Pacer,
  cgroups?: RecordedCgroups,
  output: OutputRelay = { relay: () => Promise.resolve() },
) {
  const clock = new FakeClock();
  const spawner = new FakeSpawner();
  const os = new FakeOs();
  const changes: StateChange[] = [];
  const logs: string[] = [];
  const runner = new ProcessRunner(program(overrides), 0, {
    spawner,
    clock,
    log: (_level, message) => logs.push(message),
    output,
    targets: () => ({
      stdout: { path: null, maxBytes: 0, backups: 0, timestamps: false, flushPartialAfterMs: 0 },
      stderr: { path: null, maxBytes: 0, backups: 0, timestamps: false, flushPartialAfterMs: 0 },
    }),
    onChange: (change) => changes.push(change),
    groupAlive,
    os,
    pacer,
    cgroups,
  });
  const states = () => changes.map((c) => c.to);
  return { clock, spawner, os, runner, states, logs, changes };
}

/** Lets promise callbacks (a child's exit) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("ProcessRunner reaches RUNNING after starttime on the injected clock", () => {
  const { clock, runner, states } = setup({ starttime: 5 });
  runner.dispatch({ kind: "start" });
  assert.equal(runner.state, "STARTING");
  clock.advance(4999);
  assert.equal(runner.state, "STARTING");
  clock.advance(1);
  assert.equal(runner.state, "RUNNING");
  assert.deepEqual(states(), ["STARTING", "RUNNING"]);
});

Deno.test("ProcessRunner retries a quick exit after 1 s, 2 s, then goes FATAL", async () => {
  const { clock, spawner, runner, states, logs } = setup({ starttime: 1, startretries: 2 });
  runner.dispatch({ kind: "start" });
  for (const wait of [1000, 2000]) {
    spawner.exitLatest({ code: 1, signal: null });
    await settle();
    assert.equal(runner.state, "BACKOFF");
    clock.advance(wait - 1);
    assert.equal(spawner.spawned.length, states().filter((s) => s === "STARTING").length);
    clock.advance(1);
    assert.equal(runner.state, "STARTING");
  }
  spawner.exitLatest({ code: 1, signal: null });
  await settle();
  assert.equal(runner.state, "FATAL");
  assert.equal(spawner.spawned.length, 3);
  assert.ok(logs.some((l) => l.startsWith("gave up: web entered FATAL state")));
});

Deno.test("ProcessRunner: a spawn that throws (a defect of ours) is a failed start, logged; the instance can be stopped", () => {
  const { spawner, runner, logs, clock } = setup({ startretries: 1 });
  spawner.throwWith = new TypeError("argvV is not defined");
  runner.dispatch({ kind: "start" });
  assert.equal(runner.state, "BACKOFF");
  assert.equal(runner.info().description, "internal error while spawning: argvV is not defined");
  assert.ok(logs.includes(
    "internal error (taskmaster keeps running): spawning web: argvV is not defined",
  ));
  assert.ok(logs.includes("spawnerr: internal error while spawning: argvV is not defined"));
  runner.dispatch({ kind: "stop" });
  assert.equal(runner.state, "STOPPED");
  spawner.throwWith = null;
  runner.dispatch({ kind: "start" });
  clock.advance(1000);
  assert.equal(runner.state, "RUNNING");
});

Deno.test("ProcessRunner records a spawn failure as the reason, then FATAL", () => {
  const { spawner, runner } = setup({ startretries: 0 });
  spawner.failWith = "can't find command '/nope'";
  runner.dispatch({ kind: "start" });
  assert.equal(runner.state, "FATAL");
  assert.equal(runner.info().description, "can't find command '/nope'");
});

Deno.test("ProcessRunner stops through STOPPING to STOPPED and never restarts it", async () => {
  const { clock, spawner, runner, states } = setup({ starttime: 0, autorestart: "always" });
  runner.dispatch({ kind: "start" });
  assert.equal(runner.state, "RUNNING");
  runner.dispatch({ kind: "stop" });
  assert.equal(runner.state, "STOPPING");
  spawner.exitLatest({ code: null, signal: "SIGTERM" });
  await settle();
  clock.advance(60_000);
  assert.equal(runner.state, "STOPPED");
  assert.equal(spawner.spawned.length, 1);
  assert.deepEqual(states(), ["STARTING", "RUNNING", "STOPPING", "STOPPED"]);
  assert.equal(runner.info().signal, "SIGTERM");
});

Deno.test("ProcessRunner passes env, workingdir, umask and the user's login env to the spawner", () => {
  const { spawner, runner } = setup({
    env: { A: "1" },
    workingdir: "/srv",
    umask: 0o027,
    user: { name: "svc", uid: 1001, gid: 1002, home: "/home/svc", shell: "/bin/sh" },
  });
  runner.dispatch({ kind: "start" });
  const spec = spawner.spawned[0]!;
  assert.deepEqual(spec.env, {
    HOME: "/home/svc",
    USER: "svc",
    LOGNAME: "svc",
    SHELL: "/bin/sh",
    A: "1",
  });
  assert.equal(spec.cwd, "/srv");
  assert.equal(spec.umask, 0o027);
  assert.equal(spec.uid, 1001);
  assert.equal(spec.gid, 1002);
});

Deno.test("ProcessRunner announces STARTING with the new pid; a failed spawn announces it without one", () => {
  const { runner, changes } = setup({ starttime: 5 });
  runner.dispatch({ kind: "start" });
  assert.deepEqual(changes.map((c) => [c.from, c.to, c.pid]), [["STOPPED", "STARTING", 5_000_000]]);

  const failing = setup({ starttime: 5 });
  failing.spawner.failWith = "can't find command '/x'";
  failing.runner.dispatch({ kind: "start" });
  assert.deepEqual(failing.changes.map((c) => [c.from, c.to, c.pid]).slice(0, 2), [
    ["STOPPED", "STARTING", null],
    ["STARTING", "BACKOFF", null],
  ]);
});

Deno.test("ProcessRunner stops through its OS port: stopsignal to the group, SIGKILL after stoptime", async () => {
  const { clock, spawner, os, runner } = setup({ starttime: 0, stopsignal: "SIGINT", stoptime: 3 });
  runner.dispatch({ kind: "start" });
  const pid = runner.snapshot.pid!;
  runner.dispatch({ kind: "stop" });
  assert.deepEqual(os.sent, [{ to: "group", id: pid, signal: "SIGINT" }]);
  clock.advance(2999);
  assert.equal(os.sent.length, 1);
  clock.advance(1);
  assert.deepEqual(os.sent.at(-1), { to: "group", id: pid, signal: "SIGKILL" });
  spawner.exitLatest({ code: null, signal: "SIGKILL" });
  await settle();
  assert.equal(runner.state, "STOPPED");
});

Deno.test("ProcessRunner waits on its clock for a stopped leader's group to empty", async () => {
  let alive = true;
  let probes = 0;
  // The leader exits on SIGTERM but a member of its group lives on.
  const { clock, spawner, runner } = setup({ starttime: 0, stoptime: 60 }, () => {
    probes++;
    return Promise.resolve(alive);
  });
  runner.dispatch({ kind: "start" });
  runner.dispatch({ kind: "stop" });
  spawner.exitLatest({ code: null, signal: "SIGTERM" });
  await settle();
  assert.equal(runner.state, "STOPPING");
  const before = probes;
  clock.advance(100);
  await settle();
  assert.equal(probes, before + 1, "one poll per 100 ms of the injected clock");
  assert.equal(runner.state, "STOPPING");
  alive = false;
  clock.advance(100);
  await settle();
  assert.equal(runner.state, "STOPPED");
});

Deno.test("ProcessRunner sends `signal` to the main process only, through its OS port", () => {
  const { os, runner } = setup({ starttime: 0 });
  assert.equal(runner.signalProcess("SIGUSR1"), "web is not running");
  runner.dispatch({ kind: "start" });
  assert.equal(runner.signalProcess("SIGUSR1"), null);
  assert.deepEqual(os.sent, [{ to: "kill", id: runner.snapshot.pid, signal: "SIGUSR1" }]);
  os.killError = new Error("No such process (os error 3)");
  assert.equal(runner.signalProcess("SIGHUP"), "No such process (os error 3)");
});

Deno.test("ProcessRunner starts a user's program in their home when it is a directory, else in /", () => {
  const user = { name: "svc", uid: 1001, gid: 1002, home: "/home/svc", shell: "/bin/sh" };
  const withHome = setup({ user });
  withHome.os.directories.add("/home/svc");
  withHome.runner.dispatch({ kind: "start" });
  assert.equal(withHome.spawner.spawned[0]!.cwd, "/home/svc");
  const homeless = setup({ user });
  homeless.runner.dispatch({ kind: "start" });
  assert.equal(homeless.spawner.spawned[0]!.cwd, "/");
  assert.equal(homeless.runner.spawnSpec(["probe"]).cwd, "/");
});

Deno.test("ProcessRunner remembers a group that outlived its leader, as its OS port reports it", async () => {
  const { spawner, os, runner } = setup({ starttime: 0, autorestart: "never" });
  runner.dispatch({ kind: "start" });
  const pid = runner.snapshot.pid!;
  os.groups.add(pid);
  spawner.exitLatest({ code: 0, signal: null });
  await settle();
  assert.deepEqual(runner.leftoverGroups().map((g) => g.pgid), [pid]);
  os.groups.delete(pid);
  assert.deepEqual(runner.leftoverGroups(), []);
});

/**
 * The leader exits by itself and its exit waits for the pacer; a stop comes
 * meanwhile; then the pacer handles the exit.
 */
async function crashDuringStop(
  spawner: FakeSpawner,
  runner: ProcessRunner,
  pacer: HeldPacer,
  exit: { code: number | null; signal: Deno.Signal | null },
): Promise<void> {
  spawner.exitLatest(exit);
  await settle();
  runner.dispatch({ kind: "stop" });
  pacer.release();
  await settle();
}

/** A pacer whose jobs wait until the test lets them run. */
class HeldPacer implements Pacer {
  held: (() => void)[] = [];
  run(job: () => void): void {
    this.held.push(job);
  }
  release(): void {
    for (const job of this.held.splice(0)) job();
  }
  /** Crashes wait here: nothing runs ahead of them. */
  runIfIdle(): boolean {
    return false;
  }
}

Deno.test("ProcessRunner hands a crash's restart to the pacer; the end of a stop is handled at once", async () => {
  const pacer = new HeldPacer();
  const { spawner, runner, os } = setup({ starttime: 0, autorestart: "always" }, undefined, pacer);
  runner.dispatch({ kind: "start" });
  const first = spawner.spawned.length;
  spawner.exitLatest({ code: 1, signal: null });
  await settle();
  // Reaped but not yet handled: no restart until the pacer's turn.
  assert.equal(runner.state, "RUNNING");
  assert.equal(spawner.spawned.length, first);
  // Its pid may be reused by then: a stop meanwhile signals no group.
  runner.dispatch({ kind: "stop" });
  assert.deepEqual(os.sent.filter((s) => s.to === "group"), []);
  pacer.release();
  assert.equal(runner.state, "STOPPED");
  assert.equal(spawner.spawned.length, first);

  runner.dispatch({ kind: "start" });
  assert.equal(runner.state, "RUNNING");
  runner.dispatch({ kind: "stop" });
  spawner.exitLatest({ code: null, signal: "SIGTERM" });
  await settle();
  assert.equal(runner.state, "STOPPED");
  assert.equal(pacer.held.length, 0);
});

Deno.test("ProcessRunner: stoptime's SIGKILL does not wait behind the pacer's queue", async () => {
  const pacer = new HeldPacer();
  const { clock, spawner, runner, os } = setup({ starttime: 0, stoptime: 2 }, undefined, pacer);
  runner.dispatch({ kind: "start" });
  runner.dispatch({ kind: "stop" });
  clock.advance(2000);
  assert.ok(os.sent.some((s) => s.to === "group" && s.signal === "SIGKILL"));
  assert.equal(pacer.held.length, 0);
  spawner.exitLatest({ code: null, signal: "SIGKILL" });
  await settle();
  assert.equal(runner.state, "STOPPED");
});

Deno.test("ProcessRunner: a stopsignal sent ahead reaches the cgroup's other members at the leader's exit, only if something outlived it", async () => {
  for (const groupLeft of [false, true]) {
    const cgroups = new RecordedCgroups();
    const { clock, spawner, runner } = setup(
      { starttime: 0 },
      () => Promise.resolve(groupLeft),
      undefined,
      cgroups,
    );
    runner.dispatch({ kind: "start" });
    runner.signalStopAhead();
    runner.dispatch({ kind: "stop" });
    assert.deepEqual(cgroups.signals, [], "nothing read at the stop itself");
    spawner.exitLatest({ code: null, signal: "SIGTERM" });
    await settle();
    const paid = groupLeft
      ? [{ path: "/cg/web/web", signal: "SIGTERM", exceptGroup: runner.snapshot.pgid }]
      : [];
    assert.deepEqual(cgroups.signals, paid, groupLeft ? "at the exit report" : "nobody");
    // Past the grace: a debt the exit did not settle would be paid by then.
    clock.advance(MEMBERS_GRACE_MS * 3);
    assert.deepEqual(cgroups.signals, paid, "nothing more");
    runner.dispose();
  }
});

Deno.test("ProcessRunner: a stop after its leader was reaped (the crash waiting for the pacer) owes nothing to a next run", async () => {
  const pacer = new HeldPacer();
  const cgroups = new RecordedCgroups();
  const { clock, spawner, runner, os } = setup({ starttime: 0 }, undefined, pacer, cgroups);
  runner.dispatch({ kind: "start" });
  const pgid = runner.snapshot.pgid!;
  // The leader exits by itself; its group lives on (a grandchild).
  os.groups.add(pgid);
  spawner.exitLatest({ code: 1, signal: null });
  await settle();
  assert.equal(runner.state, "RUNNING", "the crash waits for the pacer");
  runner.signalStopAhead();
  runner.dispatch({ kind: "stop" });
  // Signalled at once by the stop event, as a stop that did not go ahead.
  assert.deepEqual(cgroups.signals, [{
    path: "/cg/web/web",
    signal: "SIGTERM",
    exceptGroup: pgid,
  }]);
  assert.deepEqual(os.sent, [{ to: "group", id: pgid, signal: "SIGTERM" }], "the group once");
  pacer.release();
  // The stop lasts until the group the leader left is gone (the probe says it is).
  assert.equal(runner.state, "STOPPING");
  clock.advance(GROUP_POLL_MS);
  await settle();
  assert.equal(runner.state, "STOPPED");
  runner.dispatch({ kind: "start" });
  assert.equal(runner.state, "RUNNING");
  clock.advance(MEMBERS_GRACE_MS * 3);
  assert.equal(cgroups.signals.length, 1, "no stopsignal reaches the new run");
  runner.dispose();
});

Deno.test("ProcessRunner: a stop while a crash waits for the pacer lasts until the group its leader left is gone; stoptime's SIGKILL reaches it", async () => {
  const pacer = new HeldPacer();
  let groupLeft = true;
  const { clock, spawner, runner, os } = setup(
    { starttime: 0, stoptime: 2 },
    () => Promise.resolve(groupLeft),
    pacer,
  );
  runner.dispatch({ kind: "start" });
  const pgid = runner.snapshot.pgid!;
  // The leader exits by itself; a grandchild that ignores SIGTERM keeps the group.
  os.groups.add(pgid);
  await crashDuringStop(spawner, runner, pacer, { code: 1, signal: null });
  assert.equal(runner.state, "STOPPING", "the group lives on");
  clock.advance(1999);
  await settle();
  assert.ok(!os.sent.some((s) => s.signal === "SIGKILL"), "not before stoptime");
  clock.advance(1);
  assert.ok(
    os.sent.some((s) => s.to === "group" && s.id === pgid && s.signal === "SIGKILL"),
    JSON.stringify(os.sent),
  );
  await settle();
  groupLeft = false;
  os.groups.delete(pgid);
  clock.advance(GROUP_POLL_MS);
  await settle();
  assert.equal(runner.state, "STOPPED");
  runner.dispose();
});

Deno.test("ProcessRunner: a crash the pacer handles after a stop, its group gone with it, ends the stop at once", async () => {
  const pacer = new HeldPacer();
  const { spawner, runner, os } = setup({ starttime: 0 }, undefined, pacer);
  runner.dispatch({ kind: "start" });
  spawner.exitLatest({ code: 1, signal: null });
  await settle();
  runner.dispatch({ kind: "stop" });
  pacer.release();
  assert.equal(runner.state, "STOPPED");
  assert.deepEqual(os.sent.filter((s) => s.to === "group"), [], "its pid may be reused: no signal");
  runner.dispose();
});

Deno.test("ProcessRunner: a stop while a crash waits for the pacer, what its leader left only in its cgroup, lasts until the cgroup is empty; the SIGKILL goes to the cgroup alone", async () => {
  const pacer = new HeldPacer();
  let populated = true;
  const cgroups = new (class extends RecordedCgroups {
    override populated(): boolean {
      return populated;
    }
  })();
  // The probe answers for whatever now leads a group with the leader's old pid.
  const { clock, spawner, runner, os } = setup(
    { starttime: 0, stoptime: 2 },
    () => Promise.resolve(true),
    pacer,
    cgroups,
  );
  runner.dispatch({ kind: "start" });
  // The leader exits by itself; a daemon it forked (setsid) lives on in the cgroup only.
  await crashDuringStop(spawner, runner, pacer, { code: 0, signal: null });
  assert.equal(runner.state, "STOPPING", "the cgroup is not empty");
  clock.advance(2000);
  await settle();
  assert.deepEqual(
    cgroups.signals.map((s) => s.signal),
    ["SIGTERM", "SIGKILL"],
    "the stop's stopsignal, then stoptime's SIGKILL",
  );
  assert.deepEqual(os.sent.filter((s) => s.to === "group"), [], "its pid may be reused: no group");
  populated = false;
  clock.advance(GROUP_POLL_MS);
  await settle();
  assert.equal(runner.state, "STOPPED");
  runner.dispose();
});

/** A child killed from outside (kill -9), which `autorestart: always` restarts at once. */
const KILLED = { code: null, signal: "SIGKILL" } as const;

/**
 * A RUNNING `autorestart: always` instance whose spawner tells of reaps
 * ahead (as the real one does), its child then killed: `first` is that
 * child's pid, `ahead` the one the next spawn would get.
 */
function killedWhileReapingAhead(pacer?: Pacer) {
  const setUp = setup({ starttime: 0, autorestart: "always" }, undefined, pacer);
  setUp.spawner.reapsAhead = true;
  setUp.runner.dispatch({ kind: "start" });
  const first = setUp.runner.snapshot.pid!;
  setUp.spawner.exitLatest(KILLED);
  return { ...setUp, first, ahead: first + 1 };
}

Deno.test("ProcessRunner starts the next child as the last one is reaped; the restart its exit leads to takes it", async () => {
  const { spawner, runner, logs, first } = killedWhileReapingAhead();
  // Reaped, not yet reported (its pipes are drained first): the next child already exists.
  assert.equal(spawner.spawned.length, 2);
  assert.equal(runner.snapshot.pid, first);
  await settle();
  assert.equal(spawner.spawned.length, 2, "the restart took the child started ahead");
  assert.equal(runner.state, "RUNNING");
  assert.equal(runner.snapshot.pid, first + 1);
  assert.equal(runner.counters.restarts, 1);
  const exited = logs.findIndex((line) => line.startsWith("exited: "));
  const spawned = logs.indexOf(`spawned: 'web' with pid ${first + 1}`);
  assert.ok(exited >= 0 && spawned > exited, logs.join("\n"));
  // The next exit is handled the same way.
  spawner.exitLatest(KILLED);
  await settle();
  assert.equal(spawner.spawned.length, 3);
  assert.equal(runner.snapshot.pid, first + 2);
});

Deno.test("ProcessRunner starts nothing ahead of an exit that does not restart at once", async () => {
  for (
    const [overrides, exit] of [
      [{ autorestart: "unexpected", exitcodes: [0] }, { code: 0, signal: null }],
      [{ autorestart: "never" }, KILLED],
      // A crash within 1 s of its start waits (MIN_RESTART_INTERVAL_MS).
      [{ autorestart: "always" }, { code: 1, signal: null }],
    ] as const
  ) {
    const { spawner, runner } = setup({ starttime: 0, ...overrides, exitcodes: [0] });
    spawner.reapsAhead = true;
    runner.dispatch({ kind: "start" });
    spawner.exitLatest(exit);
    assert.equal(spawner.spawned.length, 1, JSON.stringify(overrides));
    await settle();
    assert.equal(spawner.spawned.length, 1, JSON.stringify(overrides));
    assert.equal(runner.state, "EXITED");
  }
});

Deno.test("ProcessRunner: the child started ahead is killed when a stop comes before the exit's report", async () => {
  const { spawner, runner, os, logs, ahead } = killedWhileReapingAhead();
  assert.equal(spawner.spawned.length, 2);
  runner.dispatch({ kind: "stop" });
  await settle();
  assert.equal(runner.state, "STOPPED");
  assert.equal(spawner.spawned.length, 2);
  assert.ok(os.sent.some((s) => s.to === "group" && s.id === ahead && s.signal === "SIGKILL"));
  assert.ok(logs.some((line) => line.startsWith(`pid ${ahead}, started ahead`)), logs.join("\n"));
});

Deno.test("ProcessRunner: a config changed before the exit's report restarts with the new one; the child started ahead is killed", async () => {
  const { spawner, runner, os, ahead } = killedWhileReapingAhead();
  runner.updateConfig(program({ starttime: 0, autorestart: "always", cmd: "/bin/true again" }));
  await settle();
  assert.equal(spawner.spawned.length, 3);
  assert.deepEqual(spawner.spawned[2]!.argv, ["/bin/true", "again"]);
  assert.equal(runner.snapshot.pid, ahead + 1);
  assert.ok(os.sent.some((s) => s.to === "group" && s.id === ahead && s.signal === "SIGKILL"));
});

Deno.test("ProcessRunner starts nothing ahead while crashes wait for the pacer", async () => {
  const pacer = new HeldPacer();
  const { spawner, runner } = killedWhileReapingAhead(pacer);
  await settle();
  assert.equal(spawner.spawned.length, 1);
  pacer.release();
  assert.equal(spawner.spawned.length, 2);
  assert.equal(runner.state, "RUNNING");
});

Deno.test("ProcessRunner: a child started ahead that dies before the restart takes it is reported as its own exit", async () => {
  const { spawner, runner, os, logs, ahead } = killedWhileReapingAhead();
  spawner.exit(ahead, { code: 3, signal: null });
  await settle();
  assert.equal(spawner.spawned.length, 2);
  assert.ok(logs.includes(`spawned: 'web' with pid ${ahead}`), logs.join("\n"));
  assert.ok(logs.some((line) => line.startsWith("exited: web (exit status 3")), logs.join("\n"));
  assert.equal(runner.state, "EXITED");
  assert.equal(runner.snapshot.pid, null);
  // Dead before anyone looked: no signal to a group whose pid may be another's.
  assert.ok(!os.sent.some((s) => s.id === ahead));
});

Deno.test("ProcessRunner: an instance forgotten while a child started ahead waits kills that child", () => {
  const { runner, os, ahead } = killedWhileReapingAhead();
  runner.dispose();
  assert.ok(os.sent.some((s) => s.to === "group" && s.id === ahead && s.signal === "SIGKILL"));
});

Deno.test("ProcessRunner: a child whose output cannot be taken (a defect of ours) is killed, and the start failed", () => {
  const refusing = {
    relay: () => {
      throw new Error("no relay");
    },
  };
  const { runner, os, logs } = setup({ starttime: 1 }, undefined, undefined, undefined, refusing);
  runner.dispatch({ kind: "start" });
  const started = 5_000_000;
  assert.ok(os.sent.some((s) => s.to === "group" && s.id === started && s.signal === "SIGKILL"));
  assert.equal(runner.state, "BACKOFF");
  assert.equal(runner.liveChild, null);
  assert.ok(logs.some((line) => line.includes("internal error") && line.includes("no relay")));
});
