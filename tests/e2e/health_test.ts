import assert from "node:assert/strict";
import { TestDaemon } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { HookServer } from "../alerts/_servers.ts";

const DENO = Deno.execPath();
const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

/** A port nobody listens on right now (port 0, then released). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

Deno.test("a three-level chain starts in order: db ready on a real TCP port, then migrate, then api", async () => {
  const port = freePort();
  await using d = await TestDaemon.start(`
programs:
  api:
    cmd: sleep 1000.2201
    starttime: 0.2
    depends_on:
      db: healthy
      migrate: completed_successfully
  migrate:
    cmd: /bin/sh -c "sleep 0.2"
    autorestart: never
    depends_on: {db: healthy}
  db:
    cmd: ${DENO} run --quiet --allow-net ${FIXTURES}tcp_after.ts ${port} 1500
    starttime: 0.2
    readiness:
      tcp: "127.0.0.1:${port}"
      period: 0.1
      timeout: 1
`);
  const waiting = await d.waitState("api", "WAITING", 30_000);
  assert.match(waiting.waiting_for ?? "", /db \(healthy\)/);
  assert.equal(waiting.description, `waiting for ${waiting.waiting_for}`);
  const db = await d.waitState("db", "RUNNING", 30_000);
  assert.equal(db.ready, false);
  assert.match(db.description, /NOT READY$/);
  const api = await d.waitState("api", "RUNNING", 30_000);
  assert.equal(api.waiting_for, null);
  const ready = await d.info("db");
  assert.equal(ready.ready, true);
  assert.match(ready.description, /, READY$/);
  const log = await d.eventLog();
  const at = (re: RegExp) => {
    const i = log.search(re);
    assert.ok(i >= 0, `${re} in the event log`);
    return i;
  };
  assert.ok(at(/ready: db \(readiness passed\)/) < at(/spawned: 'migrate'/));
  assert.ok(at(/exited: migrate \(exit status 0; expected\)/) < at(/spawned: 'api'/));
  assert.match(log, /waiting: api waiting for db \(healthy\), migrate \(completed_successfully\)/);
  // The listener really was up before migrate started.
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.close();
});

Deno.test("a failing liveness endpoint triggers exactly one restart per failure_threshold", async () => {
  let failuresLeft = 0;
  let probes = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    probes++;
    if (failuresLeft > 0) {
      failuresLeft--;
      return new Response("sick", { status: 503 });
    }
    return new Response("ok");
  });
  try {
    await using d = await TestDaemon.start(`
programs:
  api:
    cmd: sleep 1000.2211
    starttime: 0.2
    liveness:
      http: {url: "http://127.0.0.1:${server.addr.port}/live", status: 200}
      period: 0.1
      failure_threshold: 3
`);
    const first = await d.waitState("api", "RUNNING", 30_000);
    await waitFor(() => probes >= 3, "a few passing probes");
    // Three failures in a row: one restart, with the reason.
    failuresLeft = 3;
    const second = await waitFor(async () => {
      const p = await d.info("api");
      return p.state === "RUNNING" && p.pid !== first.pid ? p : null;
    }, { what: "api restarted" });
    assert.equal(second.restart_reason, "liveness failed 3 times: HTTP 503");
    assert.match(second.description, /\(restarted: liveness failed 3 times: HTTP 503\)$/);
    const seen = probes;
    await waitFor(() => probes >= seen + 10, "ten more passing probes");
    const log = await d.eventLog();
    assert.equal(count(log, /unhealthy: api/g), 1);
    assert.match(log, /unhealthy: api \(liveness failed 3 times: HTTP 503\), restarting/);
    assert.equal(count(log, /spawned: 'api'/g), 2);
    assert.equal((await d.info("api")).pid, second.pid);
    assert.match(
      await d.port.why("api"),
      /restarted it 1 time; .*liveness failed 3 times: HTTP 503/,
    );
    // Two failures are below the threshold: no restart.
    failuresLeft = 2;
    await waitFor(() => failuresLeft === 0 && probes >= seen + 20, "two failures, then passes");
    assert.equal(count(await d.eventLog(), /unhealthy: api/g), 1);
  } finally {
    await server.shutdown();
  }
});

Deno.test("a liveness failure sends the unhealthy alert with its reason, before the restart", async () => {
  await using hook = new HookServer();
  let failuresLeft = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    if (failuresLeft > 0) {
      failuresLeft--;
      return new Response("sick", { status: 503 });
    }
    return new Response("ok");
  });
  try {
    await using d = await TestDaemon.start(`
programs:
  api:
    cmd: sleep 1000.2215
    starttime: 0.2
    liveness:
      http: {url: "http://127.0.0.1:${server.addr.port}/live"}
      period: 0.1
      failure_threshold: 2
alerts:
  channels:
    hook: {webhook: {url: "${hook.url}", timeout: 20}}
  rules:
    - {events: [unhealthy], channels: [hook], cooldown: 0}
`);
    const first = await d.waitState("api", "RUNNING", 30_000);
    failuresLeft = 2;
    const unhealthy = () => hook.bodies().filter((b) => b.event === "unhealthy");
    await waitFor(() => unhealthy().length >= 1, { what: "the unhealthy alert", timeout: 60_000 });
    const alert = unhealthy()[0]!;
    assert.equal(alert.program, "api");
    assert.equal(alert.instance, "api");
    assert.equal(alert.description, "liveness failed 2 times: HTTP 503");
    assert.equal(alert.pid, first.pid, "the alert names the process being restarted");
    assert.equal(alert.from_state, "RUNNING");
    const second = await waitFor(async () => {
      const p = await d.info("api");
      return p.state === "RUNNING" && p.pid !== first.pid ? p : null;
    }, { what: "api restarted", timeout: 60_000 });
    // Passing probes after the restart raise nothing more.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(unhealthy().length, 1);
    assert.equal((await d.info("api")).pid, second.pid);
  } finally {
    await server.shutdown();
  }
});

Deno.test("an exec probe slower than its period never runs twice at once", async () => {
  await using d = await TestDaemon.start(`
programs:
  api:
    cmd: sleep 1000.2216
    starttime: 0.1
    liveness:
      exec: [/bin/sh, -c, "mkdir probing || { echo overlap >> overlaps; exit 1; }; echo x >> runs; sleep 0.3; rmdir probing"]
      period: 0.05
      timeout: 5
      failure_threshold: 1
`);
  await d.waitState("api", "RUNNING", 30_000);
  await waitFor(async () => {
    const runs = await Deno.readTextFile(`${d.dir}/runs`).catch(() => "");
    return runs.length >= 10;
  }, { what: "five probe runs", timeout: 60_000 });
  const overlaps = await Deno.readTextFile(`${d.dir}/overlaps`).catch(() => "");
  assert.equal(overlaps, "", "a check started while the previous one ran");
  assert.doesNotMatch(await d.eventLog(), /unhealthy: api/);
});

Deno.test("max_memory restarts a program whose process group grows past it", async () => {
  await using d = await TestDaemon.start(`
programs:
  hog:
    cmd: ${DENO} run --quiet --v8-flags=--max-old-space-size=1000 ${FIXTURES}allocate.ts 20 400
    starttime: 0.2
    max_memory: 150MB
    liveness:
      exec: "true"
      period: 0.2
`);
  const first = await d.waitState("hog", "RUNNING", 30_000);
  const log = await waitFor(async () => {
    const text = await d.eventLog();
    return /unhealthy: hog \(max_memory exceeded: [\d.]+ MB > 150\.0 MB\), restarting/.test(text) &&
        /stopped: hog/.test(text)
      ? text
      : null;
  }, { what: "a max_memory restart", timeout: 30_000 });
  assert.ok(log.search(/unhealthy: hog/) < log.search(/stopping: 'hog'/));
  await waitFor(async () => {
    const p = await d.info("hog");
    return p.pid !== null && p.pid !== first.pid;
  }, "a new hog process");
});

Deno.test("shutdown stops dependents first, wave by wave, as the event log shows", async () => {
  await using d = await TestDaemon.start(`
programs:
  db:
    cmd: sleep 1000.2231
    starttime: 0.1
  api:
    cmd: sleep 1000.2232
    starttime: 0.1
    depends_on: [db]
  web:
    cmd: /bin/sh -c "trap 'sleep 0.3; exit 0' TERM; sleep 1000.2233 & wait"
    starttime: 0.1
    depends_on: [api]
  loner:
    cmd: sleep 1000.2234
    starttime: 0.1
`);
  await d.waitState("web", "RUNNING", 30_000);
  await d.waitState("loner", "RUNNING", 30_000);
  const { code, stdout: log } = await d.stop();
  assert.equal(code, 0);
  const at = (re: RegExp) => {
    const i = log.search(re);
    assert.ok(i >= 0, `${re} in the event log`);
    return i;
  };
  // web (slow to stop) and loner go first; api only once web is down; db last.
  assert.ok(at(/stopping: 'loner'/) < at(/stopped: web/));
  assert.ok(at(/stopped: web/) < at(/stopping: 'api'/));
  assert.ok(at(/stopped: api/) < at(/stopping: 'db'/));
  assert.ok(at(/stopped: db/) < at(/shutdown complete/));
});

Deno.test("shutdown_order: parallel stops everything at once", async () => {
  await using d = await TestDaemon.start(`
taskmaster:
  shutdown_order: parallel
programs:
  db:
    cmd: sleep 1000.2241
    starttime: 0.1
  web:
    cmd: /bin/sh -c "trap 'sleep 0.3; exit 0' TERM; sleep 1000.2242 & wait"
    starttime: 0.1
    depends_on: [db]
`);
  await d.waitState("web", "RUNNING", 30_000);
  const { stdout: log } = await d.stop();
  assert.ok(log.search(/stopping: 'db'/) < log.search(/stopped: web/));
});

Deno.test("readiness failing after ready marks NOT READY: dependents keep running, new ones wait", async () => {
  let healthy = true;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(null, { status: healthy ? 200 : 503 }),
  );
  try {
    await using d = await TestDaemon.start(`
programs:
  db:
    cmd: sleep 1000.2251
    starttime: 0.1
    readiness:
      http: "http://127.0.0.1:${server.addr.port}/health"
      period: 0.1
      failure_threshold: 2
  api:
    cmd: sleep 1000.2252
    starttime: 0.1
    depends_on: {db: healthy}
  worker:
    cmd: sleep 1000.2253
    starttime: 0.1
    autostart: false
    depends_on: {db: healthy}
`);
    const api = await d.waitState("api", "RUNNING", 30_000);
    healthy = false;
    await waitFor(async () => (await d.info("db")).ready === false, "db NOT READY");
    assert.match((await d.info("db")).description, /NOT READY$/);
    await waitFor(
      async () => /not ready: db \(readiness failed 2 times: HTTP 503\)/.test(await d.eventLog()),
      "the not ready line in the event log",
    );
    assert.equal((await d.info("api")).pid, api.pid, "api keeps running");
    const starting = d.port.start(["worker"]);
    const waiting = await d.waitState("worker", "WAITING", 30_000);
    assert.equal(waiting.waiting_for, "db (healthy)");
    healthy = true;
    const results = await starting;
    assert.deepEqual(results.map((r) => [r.name, r.ok]), [["worker", true]]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("reload applies depends_on and probes live: a waiting program is released, nothing restarts", async () => {
  const yaml = (deps: string, probe: string) => `
programs:
  db:
    cmd: sleep 1000.2261
    starttime: 0.1
    autostart: false
  api:
    cmd: sleep 1000.2262
    starttime: 0.1
${deps}
  web:
    cmd: sleep 1000.2263
    starttime: 0.1
${probe}
`;
  await using d = await TestDaemon.start(
    yaml("    depends_on: [db]", "    liveness: {exec: 'true', period: 0.2}"),
  );
  await d.waitState("api", "WAITING", 30_000);
  const web = await d.waitState("web", "RUNNING", 30_000);
  await d.writeConfig(yaml("", "    liveness: {exec: 'false', period: 0.2, failure_threshold: 1}"));
  const report = await d.port.reload();
  assert.deepEqual([...report.updated].sort(), ["api", "web"]);
  await d.waitState("api", "RUNNING", 30_000);
  // The new probe is live at once: it fails, and web restarts for it.
  await waitFor(
    async () => /unhealthy: web \(liveness failed 1 time: exit status 1\)/.test(await d.eventLog()),
    "the new liveness probe",
  );
  assert.notEqual((await d.waitState("web", "RUNNING", 30_000)).pid, null);
  void web;
});
