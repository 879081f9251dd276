import assert from "node:assert/strict";
import { runTaskmaster, TestDaemon } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { holdsFile } from "../_helpers/open_files.ts";

Deno.test("status --json: CPU % and RSS of the whole group, restarts and started_at", async () => {
  await using d = await TestDaemon.start(`
programs:
  busy:
    cmd: sh -c 'while :; do :; done & exec sleep 1002.31'
    starttime: 0
  idle:
    cmd: sleep 1002.32
    starttime: 0
`);
  await d.waitState("busy", "RUNNING");
  await d.waitState("idle", "RUNNING");
  const json = async () => {
    const r = await runTaskmaster(["ctl", "-s", d.socket, "status", "--json"]);
    return JSON.parse(r.stdout) as Record<string, unknown>[];
  };
  // The busy loop is a child of the group's leader (a sleep): only a group sum sees it.
  const busy = await waitFor(async () => {
    const p = (await json()).find((p) => p.name === "busy")!;
    return (p.cpu_percent as number) > 5 ? p : null;
  }, { what: "the busy group's CPU % to show", timeout: 30_000 });
  assert.ok((busy.rss_bytes as number) > 100_000, `rss ${busy.rss_bytes}`);
  assert.equal(busy.restarts, 0);
  const startedAt = busy.started_at as number;
  assert.ok(Math.abs(startedAt - Date.now() / 1000) < 120, `started_at ${startedAt}`);

  const idle = (await json()).find((p) => p.name === "idle")!;
  assert.ok((idle.cpu_percent as number) < 5, `idle cpu ${idle.cpu_percent}`);
  assert.ok((idle.rss_bytes as number) > 0);

  await d.port.restart(["idle"]);
  await d.port.restart(["idle"]);
  const after = (await json()).find((p) => p.name === "idle")!;
  assert.equal(after.restarts, 2);
  assert.ok((after.started_at as number) > (idle.started_at as number));
  await d.port.stop(["busy"]);
  const stopped = (await json()).find((p) => p.name === "busy")!;
  assert.equal(stopped.cpu_percent, 0);
  assert.equal(stopped.rss_bytes, 0);
});

Deno.test("ctl top prints a frame of real figures; with its input closed it stops after one", async () => {
  await using d = await TestDaemon.start(`
programs:
  idle:
    cmd: sleep 1002.33
    starttime: 0
`);
  await d.waitState("idle", "RUNNING");
  const r = await runTaskmaster(["ctl", "-s", d.socket, "top"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.split("press any key to quit").length - 1, 1);
  assert.match(r.stdout, /NAME\s+STATE\s+PID\s+CPU%\s+MEM\s+RESTARTS\s+UPTIME/);
  assert.match(r.stdout, /\nidle\s+RUNNING\s+\d+\s+\d+\.\d\s+\d+(\.\d)?[KM]\s+0\s+0:00:\d\d\n/);
});

/** A process's resident pages that are copies of files (the deno binary's code), in kB. */
function residentFileKb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/RssFile:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

Deno.test("the daemon gives back the code pages start-up used (issue 17) and runs on", async () => {
  await using d = await TestDaemon.start(`
programs:
  later:
    cmd: sleep 1002.33
    autostart: false
    starttime: 0
`);
  const pid = await d.port.daemonPid();
  // ~41 MB of the deno binary are resident once the daemon has started; the
  // code an idle daemon runs again is about 20.
  let kb = NaN;
  await waitFor(() => (kb = residentFileKb(pid)) <= 28 * 1024, {
    what: "the daemon's file-backed resident pages to fall under 28 MB",
    timeout: 30_000,
    interval: 100,
  }).catch((error) => {
    throw new Error(`${error.message}; last ${(kb / 1024).toFixed(1)} MB`);
  });
  await d.port.start(["later"]);
  const later = await d.waitState("later", "RUNNING");
  assert.ok(later.pid !== null);
  const r = await runTaskmaster(["ctl", "-s", d.socket, "status", "later"]);
  assert.match(r.stdout, /later\s+RUNNING/);
});

Deno.test("an idle daemon closes idle program logs but not its event log (no close in its quiet time)", async () => {
  await using d = await TestDaemon.start(`
programs:
  once:
    cmd: /bin/sh -c "echo hello; exec /bin/sleep 1017.3"
    starttime: 0
    stdout: once.log
    stderr: null
`);
  const pid = await d.port.daemonPid();
  const programLog = `${d.dir}/once.log`;
  await waitFor(async () => (await Deno.readTextFile(programLog).catch(() => "")) === "hello\n", {
    what: "the program's line",
  });
  // The sweep that closes the program's idle log would close the event log too.
  await waitFor(() => !holdsFile(pid, programLog), { timeout: 30_000, what: "once.log closed" });
  assert.ok(holdsFile(pid, `${d.dir}/taskmaster.log`), "the event log is still open");
  assert.match(await d.eventLog(), /once/);
});
