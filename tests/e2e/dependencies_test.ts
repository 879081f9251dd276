import assert from "node:assert/strict";
import { runTaskmaster, tempDir, TestDaemon } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";

Deno.test("a dependency cycle is rejected, named whole, and nothing starts", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir}/cycle.yaml`,
    [
      "programs:",
      "  db:",
      "    cmd: sleep 1000.2101",
      "  api:",
      "    cmd: sleep 1000.2102",
      "    depends_on: {db: running, migrate: completed_successfully}",
      "  migrate:",
      "    cmd: sleep 1000.2103",
      "    depends_on: [api]",
      "",
    ].join("\n"),
  );
  const check = await runTaskmaster(["check", "-c", `${dir}/cycle.yaml`]);
  assert.equal(check.code, 2);
  assert.match(
    check.stderr,
    /program "api": key "depends_on": dependency cycle: api -> migrate -> api/,
  );
  const daemon = await runTaskmaster(["-c", `${dir}/cycle.yaml`, "--no-shell"]);
  assert.equal(daemon.code, 2);
  assert.match(daemon.stderr, /dependency cycle: migrate -> api -> migrate/);
});

Deno.test("a completed_successfully dependency that fails blocks its dependents; they start once it succeeds", async () => {
  await using d = await TestDaemon.start(`
programs:
  migrate:
    cmd: /bin/sh -c "test -f ok || exit 3"
    autorestart: never
    starttime: 0
  api:
    cmd: sleep 1000.2111
    starttime: 0.2
    depends_on: {migrate: completed_successfully}
`);
  const blocked = await d.waitState("api", "BLOCKED", 30_000);
  assert.equal(blocked.blocked_by, "migrate exited unexpectedly (exit status 3)");
  assert.equal(blocked.waiting_for, "migrate (completed_successfully)");
  assert.equal(blocked.pid, null);
  await waitFor(
    async () =>
      /blocked: api \(migrate exited unexpectedly \(exit status 3\)\)/.test(await d.eventLog()),
    "the blocked line in the event log",
  );
  assert.match(await d.port.why("api"), /^api is BLOCKED: migrate exited unexpectedly/);
  await Deno.writeTextFile(`${d.dir}/ok`, "");
  const results = await d.port.start(["migrate"]);
  assert.deepEqual(results.map((r) => r.ok), [true]);
  await d.waitState("api", "RUNNING", 30_000);
});

Deno.test("a FATAL dependency blocks; start api starts it again and api follows", async () => {
  await using d = await TestDaemon.start(`
programs:
  db:
    cmd: /bin/sh -c "test -f up || exit 1; exec sleep 1000.2121"
    startretries: 0
    starttime: 3
  api:
    cmd: sleep 1000.2122
    starttime: 0.2
    depends_on: [db]
`);
  const blocked = await d.waitState("api", "BLOCKED", 30_000);
  assert.equal(blocked.blocked_by, "db is FATAL");
  assert.match(blocked.description, /db is FATAL/);
  await Deno.writeTextFile(`${d.dir}/up`, "");
  // `start api` starts its unmet dependency first, then api itself.
  const results = await d.port.start(["api"]);
  assert.deepEqual(results.map((r) => [r.name, r.ok]), [["db", true], ["api", true]]);
  assert.equal((await d.info("db")).state, "RUNNING");
  assert.equal((await d.info("api")).state, "RUNNING");
});

Deno.test("stop db stops its dependents first and says so; --no-deps leaves them running", async () => {
  await using d = await TestDaemon.start(`
programs:
  db:
    cmd: sleep 1000.2131
    starttime: 0.2
  api:
    cmd: sleep 1000.2132
    starttime: 0.2
    depends_on: [db]
  web:
    cmd: sleep 1000.2133
    starttime: 0.2
    depends_on: [api]
`);
  await d.waitState("web", "RUNNING", 30_000);
  const stopped = await d.port.stop(["db"]);
  assert.deepEqual(
    stopped.map((r) => [r.name, r.ok, r.note]),
    [["api", true, "depends on db"], ["web", true, "depends on db"], ["db", true, undefined]],
  );
  const log = await waitFor(async () => {
    const text = await d.eventLog();
    return /stopped: db/.test(text) ? text : null;
  });
  const at = (re: RegExp) => log.search(re);
  assert.ok(at(/stopped: web/) < at(/stopping: 'api'/), "web stops before api");
  assert.ok(at(/stopped: api/) < at(/stopping: 'db'/), "api stops before db");

  const started = await d.port.start(["web"]);
  assert.deepEqual(started.map((r) => r.name), ["db", "api", "web"]);
  assert.ok(started.every((r) => r.ok));
  const alone = await d.port.stop(["db"], { noDeps: true });
  assert.deepEqual(alone.map((r) => r.name), ["db"]);
  assert.equal((await d.info("api")).state, "RUNNING");
  // With --no-deps a start spawns at once, dependencies or not.
  await d.port.stop(["api"], { noDeps: true });
  assert.deepEqual((await d.port.start(["api"], { noDeps: true })).map((r) => [r.name, r.ok]), [
    ["api", true],
  ]);
  assert.equal((await d.info("db")).state, "STOPPED");
});

Deno.test("the shell's start/stop print what they did to dependencies; why explains WAITING", async () => {
  await using d = await TestDaemon.start(`
programs:
  db:
    cmd: sleep 1000.2141
    starttime: 0.2
    autostart: false
  api:
    cmd: sleep 1000.2142
    starttime: 0.2
    depends_on: [db]
`);
  const waiting = await d.waitState("api", "WAITING", 30_000);
  assert.equal(waiting.waiting_for, "db (running)");
  assert.equal(waiting.description, "waiting for db (running)");
  const ctl = (...args: string[]) => runTaskmaster(["ctl", "-s", d.socket, ...args]);
  const status = await ctl("status");
  assert.match(status.stdout, /api\s+WAITING\s+waiting for db \(running\)/);
  const why = await ctl("why", "api");
  assert.equal(why.code, 0);
  assert.match(why.stdout, /api is WAITING: .*waits for db \(running\)/);
  await waitFor(
    async () => /waiting: api waiting for db \(running\)/.test(await d.eventLog()),
    "the waiting line in the event log",
  );
  const start = await ctl("start", "db");
  assert.equal(start.stdout, "db: started\n");
  await d.waitState("api", "RUNNING", 30_000);
  const stop = await ctl("stop", "db");
  assert.equal(stop.stdout, "api: stopped (depends on db)\ndb: stopped\n");
});

Deno.test("stopping one instance never stops the program's other instances", async () => {
  await using d = await TestDaemon.start(`
programs:
  worker:
    cmd: sleep 1000.2151
    numprocs: 2
    starttime: 0.1
  api:
    cmd: sleep 1000.2152
    starttime: 0.1
    depends_on: [worker]
`);
  await d.waitState("api", "RUNNING", 30_000);
  const stopped = await d.port.stop(["worker:1"]);
  assert.deepEqual(stopped.map((r) => [r.name, r.note]), [
    ["api", "depends on worker"],
    ["worker:1", undefined],
  ]);
  assert.equal((await d.info("worker:0")).state, "RUNNING");
});

Deno.test("stop all stops dependents before what they depend on; independent programs at once", async () => {
  await using d = await TestDaemon.start(`
programs:
  db:
    cmd: sleep 1000.2161
    starttime: 0.1
  api:
    cmd: /bin/sh -c "trap 'sleep 0.5; exit 0' TERM; sleep 1000.2162 & wait"
    starttime: 0.1
    depends_on: [db]
  loner:
    cmd: sleep 1000.2163
    starttime: 0.1
`);
  await d.waitState("api", "RUNNING", 30_000);
  await d.waitState("loner", "RUNNING", 30_000);
  const stop = await runTaskmaster(["ctl", "-s", d.socket, "stop", "all"]);
  assert.equal(stop.code, 0, stop.stderr);
  const log = await waitFor(async () => {
    const text = await d.eventLog();
    return /stopped: db/.test(text) ? text : null;
  });
  const at = (re: RegExp) => {
    const i = log.search(re);
    assert.ok(i >= 0, `${re} in the event log`);
    return i;
  };
  // loner depends on nothing and nothing on it: it goes with api, not after db.
  assert.ok(at(/stopping: 'loner'/) < at(/stopped: api/));
  assert.ok(at(/stopped: api/) < at(/stopping: 'db'/));
});

Deno.test("a dependent BLOCKED by a FATAL dependency starts by itself once a manual start brings it up", async () => {
  await using d = await TestDaemon.start(`
programs:
  db:
    cmd: /bin/sh -c "test -f up || exit 1; exec sleep 1000.2171"
    startretries: 0
    starttime: 3
  api:
    cmd: sleep 1000.2172
    starttime: 0.2
    depends_on: [db]
`);
  assert.equal((await d.waitState("api", "BLOCKED", 30_000)).blocked_by, "db is FATAL");
  // The state is visible before its event-log line is on disk: wait for the line.
  await waitFor(
    async () => /blocked: api \(db is FATAL\)/.test(await d.eventLog()),
    "the blocked line in the event log",
  );
  await Deno.writeTextFile(`${d.dir}/up`, "");
  const start = await runTaskmaster(["ctl", "-s", d.socket, "start", "db"]);
  assert.equal(start.stdout, "db: started\n");
  const api = await d.waitState("api", "RUNNING", 30_000);
  assert.equal(api.blocked_by, null);
});

Deno.test("numprocs > 1: a dependency is met only when every instance meets it", async () => {
  await using d = await TestDaemon.start(`
programs:
  prep:
    cmd: /bin/sh -c "if mkdir first 2>/dev/null; then sleep 2; fi; exit 0"
    numprocs: 2
    autorestart: never
    starttime: 0
  api:
    cmd: sleep 1000.2181
    starttime: 0.2
    depends_on: {prep: completed_successfully}
`);
  await d.waitState("api", "RUNNING", 30_000);
  const log = await d.eventLog();
  const spawned = log.search(/spawned: 'api'/);
  for (const name of ["prep:0", "prep:1"]) {
    const exited = log.search(new RegExp(`exited: ${name} \\(exit status 0; expected\\)`));
    assert.ok(exited >= 0 && exited < spawned, `${name} exited before api spawned`);
  }
  // While one instance was still running, api waited for the program.
  assert.match(log, /waiting: api waiting for prep \(completed_successfully\)/);
});

Deno.test("start stops waiting for a dependency that never gets ready and says what it waits for", async () => {
  await using d = await TestDaemon.start(`
programs:
  db:
    cmd: sleep 1000.2201
    starttime: 0.1
    readiness:
      exec: [/bin/sh, -c, "test -f ready"]
      period: 0.2
  api:
    cmd: sleep 1000.2202
    starttime: 0.1
    autostart: false
    depends_on: {db: healthy}
`);
  await d.waitState("db", "RUNNING", 30_000);
  // Bounded (30 s): the shell and a reload behind it are not held for ever.
  const start = await runTaskmaster(["ctl", "-s", d.socket, "start", "api"]);
  assert.equal(start.code, 0, start.stderr);
  assert.equal(start.stdout, "api: waiting for db (healthy)\n");
  assert.equal((await d.info("api")).state, "WAITING");
  await Deno.writeTextFile(`${d.dir}/ready`, "");
  await d.waitState("api", "RUNNING", 30_000);
});
