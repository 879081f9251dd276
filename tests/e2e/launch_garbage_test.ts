import assert from "node:assert/strict";
import { TestDaemon } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";

Deno.test("once the launch is over the daemon collects its garbage: the heap shrinks, said in the event log", async () => {
  // 300 spawns each rewrite the state file: the old copies are garbage that
  // nothing would collect while the daemon idles (no memory reducer).
  await using d = await TestDaemon.start(`
taskmaster:
  loglevel: debug
programs:
  sleepers:
    cmd: /bin/sleep 1000
    numprocs: 300
    starttime: 0
`);
  const line = await waitFor(async () => {
    const log = await d.eventLog();
    return /collected the launch's garbage: heap ([\d.]+) -> ([\d.]+) MiB/.exec(log);
  }, { what: "the collection's line in the event log" });
  const [before, after] = [Number(line[1]), Number(line[2])];
  assert.ok(after <= before, `the heap went from ${before} to ${after} MiB`);
  const log = await d.eventLog();
  // After the last program came up, not during the launch.
  assert.ok(
    log.indexOf("collected the launch's garbage") > log.lastIndexOf("entered RUNNING state"),
    "collected before the launch was over",
  );
});

Deno.test("a later burst of spawns (restart all) gets the same one collection once it is over", async () => {
  await using d = await TestDaemon.start(`
taskmaster:
  loglevel: debug
programs:
  sleepers:
    cmd: /bin/sleep 1000
    numprocs: 60
    starttime: 0
`);
  await waitFor(async () => (await d.eventLog()).includes("collected the launch's garbage"), {
    what: "the launch's collection",
  });
  const results = await d.port.restart(["all"]);
  assert.equal(results.filter((r) => r.ok).length, 60);
  const line = await waitFor(async () => {
    const log = await d.eventLog();
    return /collected the garbage of (\d+) spawns: heap ([\d.]+) -> ([\d.]+) MiB/.exec(log);
  }, { what: "the burst's collection in the event log" });
  assert.equal(Number(line[1]), 60);
  assert.ok(Number(line[3]) <= Number(line[2]), line[0]);
});
