import assert from "node:assert/strict";
import { waitFor } from "../_helpers/wait_for.ts";
import { closedPort, HookServer } from "./_servers.ts";
import { change, crash, manager } from "./_manager.ts";
import { INITIAL_SNAPSHOT } from "../../src/process/snapshot.ts";
import { webProgram } from "../config/_helpers.ts";

const hookChannel = (url: string, extra = "") =>
  `  channels:\n    hook: {webhook: {url: "${url}", timeout: 1, retries: 3, backoff: 0.05${extra}}}\n`;

Deno.test("webhook: the payload carries every field, with headers from the environment", async () => {
  await using hook = new HookServer();
  await using m = manager(
    hookChannel(hook.url, `, headers: {Authorization: "Bearer \${HOOK_TOKEN}"}`) +
      `  rules:\n    - {events: [crashed], channels: [hook], cooldown: 0}\n`,
    { HOOK_TOKEN: "tok-9f8e7d" },
  );
  crash(m.alerts, "web:1", 3);
  await waitFor(() => hook.received.length === 1, { what: "the POST", timeout: 60_000 });
  const { body, headers } = hook.received[0]!;
  assert.equal(headers.get("authorization"), "Bearer tok-9f8e7d");
  assert.equal(headers.get("content-type"), "application/json");
  assert.deepEqual(Object.keys(body), [
    "version",
    "event",
    "time",
    "host",
    "program",
    "instance",
    "pid",
    "from_state",
    "to_state",
    "exit_code",
    "signal",
    "expected",
    "tries",
    "uptime_s",
    "description",
    "log_tail",
    "suppressed_since_last",
  ]);
  assert.equal(body.version, 1);
  assert.equal(body.event, "crashed");
  assert.equal(body.host, "testhost");
  assert.equal(body.program, "web");
  assert.equal(body.instance, "web:1");
  assert.equal(body.from_state, "RUNNING");
  assert.equal(body.to_state, "EXITED");
  assert.equal(body.exit_code, 3);
  assert.equal(body.signal, null);
  assert.equal(body.expected, false);
  assert.ok((body.uptime_s as number) >= 5 && (body.uptime_s as number) < 8);
  assert.equal(body.description, "described web:1");
  assert.deepEqual(body.log_tail, { stdout: ["last out"], stderr: ["last err"] });
  assert.equal(body.suppressed_since_last, 0);
  assert.ok(!Number.isNaN(Date.parse(body.time as string)));
  await waitFor(() => m.alerts.stats()[0]!.sent === 1, { what: "sent counted", timeout: 60_000 });
});

Deno.test("webhook: 500s are retried with growing waits until a 2xx", async () => {
  await using hook = new HookServer();
  hook.answer = (n) => (n < 2 ? 500 : 204);
  await using m = manager(
    hookChannel(hook.url) + `  rules:\n    - {events: [crashed], channels: [hook], cooldown: 0}\n`,
  );
  crash(m.alerts, "web:0");
  await waitFor(() => m.alerts.stats()[0]!.sent === 1, { what: "delivery", timeout: 60_000 });
  assert.equal(hook.received.length, 3);
  const [a, b, c] = hook.received.map((r) => r.at);
  assert.ok(b! - a! >= 40, "first retry after the backoff");
  assert.ok(c! - b! >= 90, "second retry waits twice as long");
  const s = m.alerts.stats()[0]!;
  assert.equal(s.failed, 0);
  assert.equal(s.last_error, null);
});

Deno.test("webhook: every attempt failing counts one failure with the last error, logged", async () => {
  await using hook = new HookServer();
  hook.answer = () => 503;
  await using m = manager(
    hookChannel(hook.url) + `  rules:\n    - {events: [crashed], channels: [hook], cooldown: 0}\n`,
  );
  crash(m.alerts, "web:0");
  await waitFor(() => m.alerts.stats()[0]!.failed === 1, { what: "the failure", timeout: 60_000 });
  assert.equal(hook.received.length, 4, "1 attempt + 3 retries");
  assert.equal(m.alerts.stats()[0]!.last_error, "HTTP 503 Service Unavailable (4 attempts)");
  assert.equal(m.logged.length, 1);
  assert.match(m.logged[0]!, /alert channel "hook" \(webhook\): delivery failed: HTTP 503/);
});

Deno.test("webhook: a server that never answers times out", async () => {
  await using hook = new HookServer();
  hook.answer = () => "hang";
  await using m = manager(
    `  channels:\n    hook: {webhook: {url: "${hook.url}", timeout: 0.3, retries: 1, backoff: 0.05}}\n` +
      `  rules:\n    - {events: [crashed], channels: [hook], cooldown: 0}\n`,
  );
  crash(m.alerts, "web:0");
  await waitFor(() => m.alerts.stats()[0]!.failed === 1, { what: "the timeout", timeout: 60_000 });
  assert.equal(m.alerts.stats()[0]!.last_error, "timed out after 0.3 s (2 attempts)");
});

Deno.test("webhook: a refused connection is an error without the URL's token", async () => {
  await using m = manager(
    `  channels:\n    hook: {webhook: {url: "http://127.0.0.1:${closedPort()}/x?key=\${KEY}", timeout: 1, retries: 0}}\n` +
      `  rules:\n    - {events: [crashed], channels: [hook], cooldown: 0}\n`,
    { KEY: "k-5511aa" },
  );
  crash(m.alerts, "web:0");
  await waitFor(() => m.alerts.stats()[0]!.failed === 1, { what: "the failure", timeout: 60_000 });
  const error = m.alerts.stats()[0]!.last_error!;
  assert.match(error, /refused|connect/i);
  assert.doesNotMatch(error + m.logged.join(""), /k-5511aa/);
});

Deno.test("webhook: cooldown holds back repeats and counts them; order is kept", async () => {
  await using hook = new HookServer();
  await using m = manager(
    hookChannel(hook.url) +
      `  rules:\n    - {events: [started, crashed, stopped], channels: [hook], cooldown: 1}\n`,
  );
  change(m.alerts, "web:0", "STARTING", "RUNNING", { pid: 10 });
  crash(m.alerts, "web:0");
  change(m.alerts, "web:0", "STOPPING", "STOPPED");
  crash(m.alerts, "web:0");
  crash(m.alerts, "web:0");
  crash(m.alerts, "web:1");
  await waitFor(() => hook.received.length === 4, { what: "4 alerts", timeout: 60_000 });
  assert.deepEqual(
    hook.bodies().map((b) => `${b.instance} ${b.event}`),
    ["web:0 started", "web:0 crashed", "web:0 stopped", "web:1 crashed"],
  );
  await new Promise((r) => setTimeout(r, 1100));
  crash(m.alerts, "web:0");
  await waitFor(() => hook.received.length === 5, {
    what: "the alert after the cooldown",
    timeout: 60_000,
  });
  assert.equal(hook.bodies()[4]!.suppressed_since_last, 2);
});

Deno.test("webhook: batch collects a window's alerts into one digest", async () => {
  await using hook = new HookServer();
  await using m = manager(
    hookChannel(hook.url) +
      `  rules:\n    - {events: [crashed], channels: [hook], cooldown: 0, batch: 0.5}\n`,
  );
  for (const name of ["web:0", "web:1", "web:2"]) crash(m.alerts, name);
  await waitFor(() => hook.received.length === 1, { what: "the digest", timeout: 60_000 });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(hook.received.length, 1);
  const digest = hook.bodies()[0]!;
  assert.equal(digest.event, "digest");
  assert.equal(digest.count, 3);
  const alerts = digest.alerts as { instance: string; event: string }[];
  assert.deepEqual(alerts.map((a) => a.instance), ["web:0", "web:1", "web:2"]);
  crash(m.alerts, "web:3");
  await waitFor(() => hook.received.length === 2, { what: "the next window", timeout: 60_000 });
  assert.equal(hook.bodies()[1]!.count, 1);
});

Deno.test("webhook: a full queue drops the oldest and counts it", async () => {
  await using hook = new HookServer();
  hook.answer = () => "hang";
  await using m = manager(
    `  channels:\n    hook: {queue: 2, webhook: {url: "${hook.url}", timeout: 0.5, retries: 0}}\n` +
      `  rules:\n    - {events: [crashed], channels: [hook], cooldown: 0}\n`,
  );
  for (let i = 0; i < 6; i++) crash(m.alerts, `web:${i}`);
  // One in flight, two queued, three dropped.
  await waitFor(() => m.alerts.stats()[0]!.dropped === 3, { what: "drops", timeout: 60_000 });
  hook.answer = () => 200;
  await waitFor(() => m.alerts.stats()[0]!.queued === 0 && hook.received.length === 3, {
    what: "the rest",
    timeout: 60_000,
  });
  assert.deepEqual(hook.bodies().map((b) => b.instance), ["web:0", "web:4", "web:5"]);
});

Deno.test("alert test: reports success, or the exact error; unknown channel is BAD_NAME", async () => {
  await using hook = new HookServer();
  await using m = manager(
    hookChannel(hook.url) +
      `    dead: {webhook: {url: "http://127.0.0.1:${closedPort()}/", retries: 0, timeout: 1}}\n` +
      `  rules:\n    - {events: [crashed], channels: [hook]}\n`,
  );
  assert.deepEqual(await m.alerts.test("hook"), { channel: "hook", ok: true });
  assert.equal(hook.bodies()[0]!.event, "test");
  const failed = await m.alerts.test("dead");
  assert.equal(failed.ok, false);
  assert.match(failed.error!, /Connection refused.*\(1 attempt\)/i);
  await assert.rejects(() => m.alerts.test("nope"), /no such alert channel: nope/);
});

Deno.test("unhealthy: a health check failure reaches the rules like any instance event", async () => {
  await using hook = new HookServer();
  await using m = manager(
    hookChannel(hook.url) +
      `  rules:\n    - {events: [unhealthy], channels: [hook], cooldown: 0}\n`,
  );
  m.alerts.instanceEvent("unhealthy", "web:0", {
    snapshot: { ...INITIAL_SNAPSHOT, state: "RUNNING", pid: 77, startedAt: Date.now() - 2000 },
    config: webProgram(),
    description: () => "",
  }, "liveness: GET /health answered 503");
  await waitFor(() => hook.received.length === 1, { what: "the alert", timeout: 60_000 });
  const body = hook.bodies()[0]!;
  assert.equal(body.event, "unhealthy");
  assert.equal(body.instance, "web:0");
  assert.equal(body.pid, 77);
  assert.equal(body.description, "liveness: GET /health answered 503");
});
