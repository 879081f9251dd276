/** supervisorctl over the TCP listener (taskmaster.http): /RPC2 behind the same Basic auth. */
import assert from "node:assert/strict";
import { TestDaemon } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { requireSupervisor, run, SUPERVISORCTL } from "./_supervisor.ts";

Deno.test("supervisorctl -s http://… -u -p drives taskmaster over its TCP listener", async () => {
  requireSupervisor();
  Deno.env.set("TM_I14_TCP_PASSWORD", "pw-for-rpc");
  await using daemon = await TestDaemon.start(`
taskmaster:
  http:
    listen: 127.0.0.1:0
    username: admin
    password: "\${TM_I14_TCP_PASSWORD}"
programs:
  web:
    cmd: sleep 1016.3
    starttime: 0
`);
  const url = await waitFor(async () => {
    const m = /http: listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(await daemon.eventLog());
    return m?.[1] ?? null;
  }, "the listener's address");
  const ok = await run(SUPERVISORCTL, ["-s", url, "-u", "admin", "-p", "pw-for-rpc", "status"]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^web\s+RUNNING\s+pid \d+, uptime \d+:\d\d:\d\d$/m);
  const denied = await run(SUPERVISORCTL, ["-s", url, "-u", "admin", "-p", "wrong", "status"]);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stdout, /Server requires authentication/);
});
