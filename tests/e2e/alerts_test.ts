import assert from "node:assert/strict";
import { runTaskmaster, TestDaemon } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { closedPort, HookServer } from "../alerts/_servers.ts";
import type { AlertChannelStats } from "../../src/api/protocol.ts";

// The daemon inherits this test's environment: `${E2E_HOOK_TOKEN}` comes from here.
const TOKEN = "e2e-secret-4f1c9a";
/** The machine may be very loaded: every wait is generous (never a speed assertion). */
const LONG = 90_000;
Deno.env.set("E2E_HOOK_TOKEN", TOKEN);

function config(hookUrl: string, extraChannels = "", extraRules = "") {
  return `
programs:
  web:
    cmd: [/bin/sh, -c, "echo serving; echo oops >&2; sleep 0.3; exit 3"]
    starttime: 0
    numprocs: 2
  calm:
    cmd: /bin/sleep 1011.3
    starttime: 0
alerts:
  channels:
    hook: {webhook: {url: "${hookUrl}", headers: {Authorization: "Bearer \${E2E_HOOK_TOKEN}"}, timeout: 20}}
    dead: {webhook: {url: "http://127.0.0.1:${closedPort()}/?token=\${E2E_HOOK_TOKEN}", retries: 0, timeout: 1}}
${extraChannels}
  rules:
    - events: [crashed, daemon_started, daemon_stopping, config_reloaded, config_error]
      programs: ["web*"]
      channels: [hook]
      cooldown: 0
    - {events: [crashed], programs: ["web:0"], channels: [dead], cooldown: 0}
${extraRules}
`;
}

async function ctl(d: TestDaemon, ...args: string[]) {
  return await runTaskmaster(["ctl", "-s", d.socket, ...args]);
}

Deno.test("alerts end to end: payload from a real crash, counters, alert test, no secret shown", async () => {
  await using hook = new HookServer();
  await using d = await TestDaemon.start(config(hook.url));
  const crashes = () => hook.bodies().filter((b) => b.event === "crashed");
  await waitFor(() => crashes().length >= 2, { what: "two crash alerts", timeout: LONG });
  assert.equal(hook.bodies()[0]!.event, "daemon_started");
  const crash = crashes()[0]!;
  assert.equal(crash.program, "web");
  assert.match(crash.instance as string, /^web:[01]$/);
  assert.equal(crash.exit_code, 3);
  assert.equal(crash.expected, false);
  assert.equal(crash.from_state, "RUNNING");
  assert.equal(crash.to_state, "EXITED");
  assert.equal(typeof crash.pid, "number");
  assert.deepEqual(crash.log_tail, { stdout: ["serving"], stderr: ["oops"] });
  assert.equal(hook.received[0]!.headers.get("authorization"), `Bearer ${TOKEN}`);
  assert.equal(
    crashes().filter((b) => (b.instance as string).startsWith("calm")).length,
    0,
    "programs: [web*] leaves calm out",
  );

  const good = await ctl(d, "alert", "test", "hook");
  assert.equal(good.code, 0, good.stderr);
  assert.equal(good.stdout, "hook: test alert sent\n");
  await waitFor(() => hook.bodies().some((b) => b.event === "test"), {
    what: "the test alert",
    timeout: LONG,
  });

  const bad = await ctl(d, "alert", "test", "dead");
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^dead: ERROR \(.*Connection refused.*\(1 attempt\)\)\n$/);

  const unknown = await ctl(d, "alert", "test", "nope");
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no such alert channel: nope/);

  await waitFor(async () => {
    const channels = await d.port.alerts!();
    return channels.find((c) => c.name === "dead")!.failed >= 2;
  }, { what: "the dead channel's failures", timeout: LONG });
  const status = await ctl(d, "status", "--json");
  const doc = JSON.parse(status.stdout);
  assert.ok(Array.isArray(doc.processes) && doc.processes.length === 3);
  const byName = Object.fromEntries(
    (doc.alerts.channels as AlertChannelStats[]).map((c) => [c.name, c]),
  );
  assert.ok(byName.hook!.sent >= 3);
  assert.equal(byName.hook!.failed, 0);
  assert.equal(byName.hook!.dropped, 0);
  assert.ok(byName.dead!.failed >= 2);
  assert.match(byName.dead!.last_error!, /Connection refused/);

  const log = await d.eventLog();
  assert.match(log, /alert channel "dead" \(webhook\): delivery failed/);
  assert.equal(
    (log.match(/alert channel "dead"/g) ?? []).length,
    1,
    "failures are logged at most once a minute",
  );
  const api = JSON.stringify(await d.port.alerts!());
  for (const text of [status.stdout, status.stderr, bad.stderr, log, api]) {
    assert.ok(!text.includes(TOKEN), "the token never shows");
  }
});

Deno.test("alerts: reload applies channel and rule changes live, and reports config errors", async () => {
  await using hook = new HookServer();
  await using second = new HookServer();
  await using d = await TestDaemon.start(config(hook.url));
  await d.waitState("calm", "RUNNING");
  const calmPid = (await d.info("calm")).pid;
  const before = await ctl(d, "alert", "test", "second");
  assert.equal(before.code, 1);

  await d.writeConfig(config(
    hook.url,
    `    second: {webhook: {url: "${second.url}", timeout: 3}}`,
    `    - {events: [stopped], programs: [calm], channels: [second], cooldown: 0}`,
  ));
  const reload = await ctl(d, "reload");
  assert.equal(reload.code, 0, reload.stderr);
  assert.equal((await d.info("calm")).pid, calmPid, "no program was touched");
  await waitFor(() => hook.bodies().some((b) => b.event === "config_reloaded"), {
    what: "config_reloaded",
    timeout: LONG,
  });
  assert.equal((await ctl(d, "alert", "test", "second")).code, 0);
  assert.equal((await ctl(d, "stop", "calm")).code, 0);
  await waitFor(() => second.bodies().some((b) => b.event === "stopped"), {
    what: "the new rule's alert",
    timeout: LONG,
  });
  assert.equal(second.bodies().find((b) => b.event === "stopped")!.instance, "calm");

  await d.writeConfig(config(hook.url).replace("${E2E_HOOK_TOKEN}", "${E2E_NOT_SET_ANYWHERE}"));
  const rejected = await ctl(d, "reload");
  assert.equal(rejected.code, 2);
  assert.match(rejected.stderr, /environment variable E2E_NOT_SET_ANYWHERE is not set/);
  await waitFor(() => hook.bodies().some((b) => b.event === "config_error"), {
    what: "config_error",
    timeout: LONG,
  });
  assert.equal((await ctl(d, "alert", "test", "second")).code, 0, "the old alerts stay");
});

Deno.test("alerts: flapping fires once a program restarts more than flap.restarts times", async () => {
  await using hook = new HookServer();
  await using _daemon = await TestDaemon.start(`
programs:
  flappy:
    cmd: [/bin/sh, -c, "sleep 0.1; exit 1"]
    starttime: 0
    flap: {restarts: 2, within: 60}
alerts:
  channels:
    hook: {webhook: {url: "${hook.url}"}}
  rules:
    - {events: [flapping], channels: [hook], cooldown: 0}
`);
  await waitFor(() => hook.bodies().length >= 1, { what: "the flapping alert", timeout: LONG });
  const flap = hook.bodies()[0]!;
  assert.equal(flap.event, "flapping");
  assert.equal(flap.instance, "flappy");
  assert.match(flap.description as string, /restarted more than 2 times in 60 s/);
});
