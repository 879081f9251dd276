/**
 * The supervisor on fakes: children in memory, time on a fake clock, the
 * kernel recorded (tests/_helpers/fake_process.ts). Start/stop order by
 * priority, every reload rule as the supervisor applies it, and shutdown
 * while a reload is in flight.
 */
import assert from "node:assert/strict";
import type { TaskmasterConfig } from "../../src/config/types.ts";
import { Supervisor } from "../../src/supervisor/supervisor.ts";
import { FakeClock, FakeOs, FakeSpawner } from "../_helpers/fake_process.ts";
import { configOf } from "../_helpers/program.ts";

const NO_FILE = { path: null, maxBytes: 0, backups: 0, timestamps: false, flushPartialAfterMs: 0 };

/**
 * A supervisor over fakes. With `dieOnSignal`, a child exits as soon as
 * its group is signalled (the common program); otherwise the test ends it.
 */
function setup(config: TaskmasterConfig, { dieOnSignal = true } = {}) {
  const clock = new FakeClock();
  const spawner = new FakeSpawner();
  const os = new FakeOs();
  if (dieOnSignal) os.onGroupSignal = (pgid, signal) => spawner.exit(pgid, { code: null, signal });
  const supervisor = new Supervisor(config, {
    spawner,
    clock,
    os,
    log: () => {},
    output: { relay: () => Promise.resolve() },
    targets: () => ({ stdout: NO_FILE, stderr: NO_FILE }),
    groupAlive: () => Promise.resolve(false),
  });
  /** The commands spawned, in order (`/bin/sleep 1`). */
  const spawned = () => spawner.spawned.map((s) => s.argv.join(" "));
  const pidOf = (name: string) => supervisor.instance(name).snapshot.pid;
  const states = () => Object.fromEntries(supervisor.status().map((p) => [p.name, p.state]));
  return { clock, spawner, os, supervisor, spawned, pidOf, states };
}

/** Lets exits and the supervisor's follow-ups (promise callbacks, microtasks) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

// starttime 0: a spawned child is RUNNING at once, no clock needed.
const prog = (name: string, extra = "") =>
  `${name}: {cmd: /bin/sleep ${name}, starttime: 0${extra}}`;

Deno.test("launch starts autostart programs lowest priority first, file order within a priority", async () => {
  const { supervisor, spawned } = setup(configOf(
    prog("late", ", priority: 900"),
    prog("early", ", priority: 1"),
    prog("manual", ", priority: 2, autostart: false"),
    prog("mid1", ", priority: 500"),
    prog("mid2", ", priority: 500"),
  ));
  await supervisor.launch();
  assert.deepEqual(spawned(), [
    "/bin/sleep early",
    "/bin/sleep mid1",
    "/bin/sleep mid2",
    "/bin/sleep late",
  ]);
});

Deno.test("stop all stops highest priority first, each level down before the next", async () => {
  const { supervisor, spawner, os, pidOf } = setup(
    configOf(
      prog("db", ", priority: 1"),
      prog("web", ", priority: 50"),
      prog("lb", ", priority: 99"),
    ),
    { dieOnSignal: false },
  );
  await supervisor.launch();
  const [db, web, lb] = ["db", "web", "lb"].map((name) => pidOf(name)!);
  const stopping = supervisor.stop(["all"]);
  await settle();
  assert.deepEqual(os.sent.map((s) => s.id), [lb], "only lb is signalled first");
  spawner.exit(lb!, { code: null, signal: "SIGTERM" });
  await settle();
  assert.deepEqual(os.sent.map((s) => s.id), [lb, web], "web once lb is down");
  spawner.exit(web!, { code: null, signal: "SIGTERM" });
  await settle();
  assert.deepEqual(os.sent.map((s) => s.id), [lb, web, db], "db last");
  spawner.exit(db!, { code: null, signal: "SIGTERM" });
  const results = await stopping;
  assert.deepEqual(results.map((r) => [r.name, r.ok]), [["db", true], ["web", true], ["lb", true]]);
  assert.deepEqual(os.sent.map((s) => s.signal), ["SIGTERM", "SIGTERM", "SIGTERM"]);
});

Deno.test("a stop's stopsignals go out in one burst of the OS port per priority level", async () => {
  const { supervisor, os } = setup(configOf(
    prog("web", ", numprocs: 3, priority: 50"),
    prog("db", ", numprocs: 2, priority: 1"),
  ));
  await supervisor.launch();
  const results = await supervisor.stop(["all"]);
  assert.ok(results.every((r) => r.ok));
  // web's three groups in one burst, then db's two once web is down; nothing outside.
  assert.deepEqual(os.bursts, [{ from: 0, to: 3 }, { from: 3, to: 5 }]);
  assert.equal(os.sent.length, 5);
});

Deno.test("reload: an added program starts, a removed one stops and is forgotten", async () => {
  const { supervisor, os, spawned, states } = setup(configOf(prog("old"), prog("kept")));
  await supervisor.launch();
  const oldPid = supervisor.instance("old").snapshot.pid;
  const report = await supervisor.applyConfig(configOf(prog("kept"), prog("new")));
  assert.deepEqual(report.added, ["new"]);
  assert.deepEqual(report.removed, ["old"]);
  assert.deepEqual(report.unchanged, ["kept"]);
  assert.deepEqual(os.sent, [{ to: "group", id: oldPid, signal: "SIGTERM" }]);
  assert.deepEqual(spawned().slice(2), ["/bin/sleep new"]);
  assert.deepEqual(states(), { kept: "RUNNING", new: "RUNNING" });
});

Deno.test("reload: an added program without autostart is only listed", async () => {
  const { supervisor, spawned, states } = setup(configOf(prog("a")));
  await supervisor.launch();
  await supervisor.applyConfig(configOf(prog("a"), prog("b", ", autostart: false")));
  assert.deepEqual(spawned(), ["/bin/sleep a"]);
  assert.deepEqual(states(), { a: "RUNNING", b: "STOPPED" });
});

Deno.test("reload: a spawn change restarts what ran with the new command; stopped by hand stays stopped", async () => {
  const { supervisor, os, spawned, states } = setup(
    configOf("web: {cmd: /bin/sleep 1, starttime: 0, numprocs: 2}"),
  );
  await supervisor.launch();
  await supervisor.stop(["web:1"]);
  const pid0 = supervisor.instance("web:0").snapshot.pid;
  os.sent.length = 0;
  const report = await supervisor.applyConfig(
    configOf("web: {cmd: /bin/sleep 2, starttime: 0, numprocs: 2}"),
  );
  assert.deepEqual(report.changed, ["web"]);
  assert.deepEqual(os.sent, [{ to: "group", id: pid0, signal: "SIGTERM" }]);
  assert.deepEqual(spawned(), ["/bin/sleep 1", "/bin/sleep 1", "/bin/sleep 2"]);
  assert.deepEqual(states(), { "web:0": "RUNNING", "web:1": "STOPPED" });
  assert.notEqual(supervisor.instance("web:0").snapshot.pid, pid0);
});

Deno.test("reload: a FATAL instance of an autostart program gets a new chance with the new options", async () => {
  const { supervisor, spawner, spawned, states } = setup(
    configOf("web: {cmd: /bin/sleep 1, starttime: 0, startretries: 0}"),
  );
  spawner.failWith = "can't find command";
  await supervisor.launch();
  assert.deepEqual(states(), { web: "FATAL" });
  spawner.failWith = null;
  await supervisor.applyConfig(configOf("web: {cmd: /bin/sleep 2, starttime: 0, startretries: 0}"));
  assert.deepEqual(states(), { web: "RUNNING" });
  assert.equal(spawned().at(-1), "/bin/sleep 2");
});

Deno.test("reload: a FATAL instance without autostart stays FATAL", async () => {
  const { supervisor, spawner, states } = setup(
    configOf("web: {cmd: /bin/sleep 1, starttime: 0, startretries: 0, autostart: false}"),
  );
  spawner.failWith = "can't find command";
  await supervisor.start(["web"]);
  assert.deepEqual(states(), { web: "FATAL" });
  spawner.failWith = null;
  await supervisor.applyConfig(
    configOf("web: {cmd: /bin/sleep 2, starttime: 0, startretries: 0, autostart: false}"),
  );
  assert.deepEqual(states(), { web: "FATAL" });
});

Deno.test("reload: a monitoring change applies live, touching no process", async () => {
  const { supervisor, os, spawned } = setup(configOf(prog("web", ", startretries: 3")));
  await supervisor.launch();
  const pid = supervisor.instance("web").snapshot.pid;
  const report = await supervisor.applyConfig(configOf(prog("web", ", startretries: 7")));
  assert.deepEqual(report.updated, ["web"]);
  assert.deepEqual(os.sent, []);
  assert.equal(spawned().length, 1);
  assert.equal(supervisor.instance("web").snapshot.pid, pid);
  assert.equal(supervisor.instance("web").config.startretries, 7);
});

Deno.test("reload: numprocs up starts only the new instances; the running one keeps its pid", async () => {
  const { supervisor, os, spawned, states } = setup(configOf(prog("web")));
  await supervisor.launch();
  const pid = supervisor.instance("web").snapshot.pid;
  await supervisor.applyConfig(configOf(prog("web", ", numprocs: 3")));
  assert.deepEqual(os.sent, []);
  assert.equal(spawned().length, 3);
  assert.equal(supervisor.instance("web:0").snapshot.pid, pid);
  assert.deepEqual(states(), { "web:0": "RUNNING", "web:1": "RUNNING", "web:2": "RUNNING" });
});

Deno.test("reload: numprocs down stops the extra instances only", async () => {
  const { supervisor, os, states } = setup(configOf(prog("web", ", numprocs: 3")));
  await supervisor.launch();
  const pids = ["web:0", "web:1", "web:2"].map((n) => supervisor.instance(n).snapshot.pid);
  await supervisor.applyConfig(configOf(prog("web")));
  assert.deepEqual(os.sent.map((s) => s.id).sort(), [pids[1], pids[2]].sort());
  assert.deepEqual(states(), { web: "RUNNING" });
  assert.equal(supervisor.instance("web").snapshot.pid, pids[0]);
});

Deno.test("shutdown during a reload: the reload finishes, nothing it adds starts, everything stops", async () => {
  const { supervisor, spawner, os, spawned, states } = setup(
    configOf(prog("old"), prog("kept")),
    { dieOnSignal: false },
  );
  await supervisor.launch();
  const oldPid = supervisor.instance("old").snapshot.pid!;
  // The reload waits for old to stop…
  const reload = supervisor.applyConfig(configOf(prog("kept"), prog("new")));
  await settle();
  assert.deepEqual(os.sent.map((s) => s.id), [oldPid]);
  // …when shutdown begins.
  const shutdown = supervisor.shutdown();
  await settle();
  assert.throws(() => supervisor.applyConfig(configOf(prog("kept"))), /shutting down/);
  for (const { id } of os.sent) spawner.exit(id, { code: null, signal: "SIGTERM" });
  await settle();
  for (const { id } of os.sent) spawner.exit(id, { code: null, signal: "SIGTERM" });
  await reload;
  await shutdown;
  assert.ok(!spawned().includes("/bin/sleep new"), "new never started");
  assert.deepEqual(states(), { kept: "STOPPED", new: "STOPPED" });
});
