import assert from "node:assert/strict";
import { TestDaemon } from "../_helpers/daemon.ts";
import { alive, waitFor } from "../_helpers/wait_for.ts";
import type { ProcessInfo } from "../../src/api/protocol.ts";

const BASE = `
programs:
  keep:
    cmd: /bin/sleep 1000
    starttime: 0
  spawnopt:
    cmd: /bin/sleep 1000
    starttime: 0
  monitor:
    cmd: /bin/sleep 1000
    starttime: 0
    stoptime: 10
  scaled:
    cmd: /bin/sleep 1000
    numprocs: 2
    starttime: 0
  doomed:
    cmd: /bin/sleep 1000
    starttime: 0
`;

const NEXT = `
programs:
  keep:
    cmd: /bin/sleep 1000
    starttime: 0
  spawnopt:
    cmd: /bin/sleep 1001
    starttime: 0
  monitor:
    cmd: /bin/sleep 1000
    starttime: 0
    stoptime: 2
    autorestart: always
    exitcodes: [0, 3]
    startretries: 7
  scaled:
    cmd: /bin/sleep 1000
    numprocs: 3
    starttime: 0
  fresh:
    cmd: /bin/sleep 1000
    starttime: 0
`;

async function allRunning(d: TestDaemon): Promise<Map<string, ProcessInfo>> {
  return await waitFor(async () => {
    const list = await d.status();
    return list.every((p) => p.state === "RUNNING") ? new Map(list.map((p) => [p.name, p])) : null;
  }, { what: "every process RUNNING" });
}

async function checkReloaded(d: TestDaemon, before: Map<string, ProcessInfo>): Promise<void> {
  const after = await allRunning(d);
  assert.deepEqual([...after.keys()].sort(), [
    "fresh",
    "keep",
    "monitor",
    "scaled:0",
    "scaled:1",
    "scaled:2",
    "spawnopt",
  ]);
  // Unchanged programs, monitoring-only changes and kept instances keep their pids.
  for (const name of ["keep", "monitor", "scaled:0", "scaled:1"]) {
    assert.equal(after.get(name)!.pid, before.get(name)!.pid, `${name} kept its pid`);
  }
  assert.notEqual(after.get("spawnopt")!.pid, before.get("spawnopt")!.pid, "spawnopt restarted");
  assert.ok(!alive(before.get("spawnopt")!.pid!), "old spawnopt is gone");
  assert.ok(!alive(before.get("doomed")!.pid!), "removed program is stopped");
}

Deno.test("reload by command applies each kind of change and keeps unchanged pids", async () => {
  await using d = await TestDaemon.start(BASE);
  const before = await allRunning(d);
  await d.writeConfig(NEXT);
  const report = await d.port.reload();
  assert.deepEqual(report, {
    added: ["fresh"],
    changed: ["spawnopt"],
    updated: ["monitor", "scaled"],
    removed: ["doomed"],
    unchanged: ["keep"],
  });
  await checkReloaded(d, before);
  assert.match(await d.eventLog(), /config reloaded/);
});

Deno.test("reload by SIGHUP applies the same difference", async () => {
  await using d = await TestDaemon.start(BASE);
  const before = await allRunning(d);
  await d.writeConfig(NEXT);
  d.child.kill("SIGHUP");
  await waitFor(async () => (await d.status()).some((p) => p.name === "fresh"), {
    what: "the reload",
  });
  await checkReloaded(d, before);
});

Deno.test("a monitoring-only change applies live: the new stoptime is used without a restart", async () => {
  await using d = await TestDaemon.start(`
programs:
  stubborn:
    cmd: /bin/sh -c "trap '' TERM; while true; do sleep 0.1; done"
    starttime: 0
    stoptime: 30
`);
  const before = await d.waitState("stubborn", "RUNNING");
  await d.writeConfig(`
programs:
  stubborn:
    cmd: /bin/sh -c "trap '' TERM; while true; do sleep 0.1; done"
    starttime: 0
    stoptime: 0.5
`);
  assert.deepEqual((await d.port.reload()).updated, ["stubborn"]);
  assert.equal((await d.info("stubborn")).pid, before.pid);
  await d.port.stop(["stubborn"]);
  // The kill line names the stoptime that was applied: the new one, without a restart.
  assert.match(await d.eventLog(), /killing 'stubborn'.*after 0.5 s/);
});

Deno.test("numprocs down removes only the extra instances", async () => {
  await using d = await TestDaemon.start(`
programs:
  pool:
    cmd: /bin/sleep 1000
    numprocs: 3
    starttime: 0
`);
  const before = await allRunning(d);
  await d.writeConfig(`
programs:
  pool:
    cmd: /bin/sleep 1000
    numprocs: 2
    starttime: 0
`);
  await d.port.reload();
  const after = await allRunning(d);
  assert.deepEqual([...after.keys()], ["pool:0", "pool:1"]);
  assert.equal(after.get("pool:0")!.pid, before.get("pool:0")!.pid);
  assert.equal(after.get("pool:1")!.pid, before.get("pool:1")!.pid);
  assert.ok(!alive(before.get("pool:2")!.pid!));
});

Deno.test("a program stopped by hand stays stopped across a reload that changes it", async () => {
  await using d = await TestDaemon.start(`
programs:
  paused:
    cmd: /bin/sleep 1000
    starttime: 0
`);
  await d.waitState("paused", "RUNNING");
  await d.port.stop(["paused"]);
  await d.writeConfig(`
programs:
  paused:
    cmd: /bin/sleep 1001
    starttime: 0
`);
  assert.deepEqual((await d.port.reload()).changed, ["paused"]);
  assert.equal((await d.info("paused")).state, "STOPPED");
});

Deno.test("an invalid file on reload is rejected with its errors and nothing running is touched", async () => {
  await using d = await TestDaemon.start(BASE);
  const before = await allRunning(d);
  await d.writeConfig(`
programs:
  keep:
    cmd: /bin/sleep 1000
    numprocs: two
  spawnopt:
    cmd: /bin/sleep 1001
`);
  await assert.rejects(d.port.reload(), (error: Error & { code?: string }) => {
    assert.equal(error.code, "BAD_CONFIG");
    assert.match(
      error.message,
      /taskmaster\.yaml:5:15: program "keep": key "numprocs": expected an integer >= 1, got "two"/,
    );
    return true;
  });
  d.child.kill("SIGHUP");
  await waitFor(async () => /reload rejected/.test(await d.eventLog()), { what: "rejection" });
  const after = await allRunning(d);
  for (const [name, p] of before) assert.equal(after.get(name)?.pid, p.pid, `${name} untouched`);
});
