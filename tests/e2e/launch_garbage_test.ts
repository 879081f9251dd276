import assert from "node:assert/strict";
import { tempDir, TestDaemon } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";

/** A daemon logging at debug level, with `n` sleeping instances of one program. */
function sleepers(n: number): Promise<TestDaemon> {
  return TestDaemon.start(`
taskmaster:
  loglevel: debug
programs:
  sleepers:
    cmd: /bin/sleep 1000
    numprocs: ${n}
    starttime: 0
`);
}

/** The first match of `pattern` in the event log, once there is one. */
function logLine(d: TestDaemon, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return waitFor(async () => pattern.exec(await d.eventLog()), { what });
}

Deno.test("once the launch is over the daemon collects its garbage: the heap shrinks, said in the event log", async () => {
  // 300 spawns each rewrite the state file: the old copies are garbage that
  // nothing would collect while the daemon idles (no memory reducer).
  await using d = await sleepers(300);
  const line = await logLine(
    d,
    /collected the launch's garbage: heap ([\d.]+) -> ([\d.]+) MiB/,
    "the collection's line in the event log",
  );
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
  await using d = await sleepers(60);
  await logLine(d, /collected the launch's garbage/, "the launch's collection");
  const results = await d.port.restart(["all"]);
  assert.equal(results.filter((r) => r.ok).length, 60);
  const line = await logLine(
    d,
    /collected the garbage of (\d+) spawns: heap ([\d.]+) -> ([\d.]+) MiB/,
    "the burst's collection in the event log",
  );
  assert.equal(Number(line[1]), 60);
  assert.ok(Number(line[3]) <= Number(line[2]), line[0]);
});

Deno.test("the start-up collection waits for a flood of output to end: no stall in mid-flood", async () => {
  await using dir = await tempDir();
  // ~1.5 s of `yes` from the start, into a file rotated small (the disk holds 2 MB of it).
  await using d = await TestDaemon.start(`
taskmaster:
  loglevel: debug
programs:
  flood:
    cmd: /usr/bin/timeout 1.5 /usr/bin/yes
    starttime: 0
    autorestart: never
    exitcodes: [124]
    stdout: ${dir}/flood.log
    stdout_maxbytes: 1000000
    stdout_backups: 1
`);
  await logLine(d, /collected the launch's garbage/, "the launch's collection");
  const log = await d.eventLog();
  const exited = log.indexOf("exited: flood");
  assert.ok(exited >= 0, "the flood's program exited first");
  assert.ok(
    log.indexOf("collected the launch's garbage") > exited,
    "collected while the program flooded",
  );
});
