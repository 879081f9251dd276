import assert from "node:assert/strict";
import { runTaskmaster, TestDaemon } from "../_helpers/daemon.ts";

// The port answers name by name (issue 8 §3): these are supervisorctl's lines
// for unknown names, a bad signal and restart, through the real socket.
Deno.test("ctl actions answer per name: unknown names, bad signals and restart's stopped/started", async () => {
  await using d = await TestDaemon.start(`
programs:
  web:
    cmd: /bin/sleep 1009.1
    starttime: 0
  idle:
    cmd: /bin/sleep 1009.2
    starttime: 0
    autostart: false
  pair:
    cmd: /bin/sleep 1009.3
    starttime: 0
    numprocs: 2
`);
  await d.waitState("web", "RUNNING");
  await d.waitState("pair:1", "RUNNING");
  const ctl = (...args: string[]) => runTaskmaster(["ctl", "-s", d.socket, ...args]);

  let r = await ctl("start", "nope", "idle");
  assert.equal(r.stdout, "nope: ERROR (no such process)\nidle: started\n");
  assert.equal(r.code, 1);

  r = await ctl("stop", "ghost");
  assert.equal(r.stdout, "ghost: ERROR (no such process)\n");
  assert.equal(r.code, 1);

  r = await ctl("stop", "idle");
  assert.equal(r.stdout, "idle: stopped\n");
  r = await ctl("restart", "web", "idle", "nope");
  assert.equal(
    r.stdout,
    "nope: ERROR (no such process)\nweb: stopped\nweb: started\nidle: started\n",
  );
  assert.equal(r.code, 1);

  r = await ctl("signal", "FOO", "all");
  assert.equal(
    r.stdout,
    ["idle", "pair:0", "pair:1", "web"].map((n) => `${n}: ERROR (bad signal name)\n`).join(""),
  );
  assert.equal(r.code, 1);
  r = await ctl("signal", "FOO", "web", "nope");
  assert.equal(r.stdout, "web: ERROR (bad signal name)\nnope: ERROR (bad signal name)\n");

  r = await ctl("signal", "USR2", "nope", "pair");
  assert.equal(r.stdout, "nope: ERROR (no such process)\npair:0: signalled\npair:1: signalled\n");
  assert.equal(r.code, 1);

  r = await ctl("clear", "nope", "web");
  assert.equal(r.stdout, "nope: ERROR (no such process)\nweb: cleared\n");
  assert.equal(r.code, 1);
});
