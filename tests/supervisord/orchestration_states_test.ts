/**
 * supervisord has no WAITING or BLOCKED: its clients see the state they
 * should act on (README, "For supervisord clients").
 */
import assert from "node:assert/strict";
import { TestDaemon } from "../_helpers/daemon.ts";
import { requireSupervisor, run, SUPERVISORCTL } from "./_supervisor.ts";

Deno.test("supervisorctl status: WAITING shows as STARTING, BLOCKED as FATAL with its reason", async () => {
  requireSupervisor();
  await using d = await TestDaemon.start(`
programs:
  db:
    cmd: /bin/sh -c "exit 1"
    startretries: 0
    starttime: 1
  api:
    cmd: sleep 1000.2191
    depends_on: [db]
  idle:
    cmd: sleep 1000.2192
    autostart: false
  web:
    cmd: sleep 1000.2193
    depends_on: [idle]
`);
  await d.waitState("api", "BLOCKED", 30_000);
  await d.waitState("web", "WAITING", 30_000);
  const status = await run(SUPERVISORCTL, ["-s", `unix://${d.socket}`, "status"]);
  assert.match(status.stdout, /^api\s+FATAL\s+db is FATAL$/m);
  assert.match(status.stdout, /^web\s+STARTING\s*$/m);
  assert.equal(status.code, 3, "not everything is RUNNING");
});
