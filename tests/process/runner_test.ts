import assert from "node:assert/strict";
import type { StateChange } from "../../src/api/protocol.ts";
import { ProcessRunner } from "../../src/process/runner.ts";
import { FakeClock, FakeSpawner } from "../_helpers/fake_process.ts";
import { program } from "../_helpers/program.ts";

function setup(overrides: Parameters<typeof program>[0] = {}) {
  const clock = new FakeClock();
  const spawner = new FakeSpawner();
  const changes: StateChange[] = [];
  const logs: string[] = [];
  const runner = new ProcessRunner(program(overrides), 0, {
    spawner,
    clock,
    log: (_level, message) => logs.push(message),
    output: { relay: () => Promise.resolve() },
    targets: () => ({
      stdout: { path: null, maxBytes: 0, backups: 0, timestamps: false, flushPartialAfterMs: 0 },
      stderr: { path: null, maxBytes: 0, backups: 0, timestamps: false, flushPartialAfterMs: 0 },
    }),
    onChange: (change) => changes.push(change),
    groupAlive: () => Promise.resolve(false),
  });
  const states = () => changes.map((c) => c.to);
  return { clock, spawner, runner, states, logs, changes };
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
