import assert from "node:assert/strict";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { runTaskmaster, tempDir, TestDaemon } from "../_helpers/daemon.ts";
import { basic, listenerUrl } from "../_helpers/web.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const TLS_DIR = new URL("../fixtures/tls/", import.meta.url).pathname;

Deno.test("config: a listener off loopback needs credentials; the password comes from the environment", async () => {
  await using dir = await tempDir();
  const check = async (http: string, env: Record<string, string> = {}) => {
    await Deno.writeTextFile(
      `${dir}/t.yaml`,
      `taskmaster:\n  http:\n${http}\nprograms:\n  a:\n    cmd: sleep 1\n`,
    );
    return await runTaskmaster(["check", "-c", `${dir}/t.yaml`], "", { env });
  };
  const open = await check("    listen: 0.0.0.0:9001");
  assert.equal(open.code, 2);
  assert.match(
    open.stderr,
    /t\.yaml:3:\d+: key "taskmaster\.http\.listen": 0\.0\.0\.0 is not a loopback address: listening there needs "username" and "password"/,
  );

  const literal = await check(
    '    listen: 127.0.0.1:9001\n    username: admin\n    password: "hunter2"',
  );
  assert.equal(literal.code, 2);
  assert.match(
    literal.stderr,
    /key "taskmaster\.http\.password": must name an environment variable/,
  );
  assert.doesNotMatch(literal.stderr, /hunter2/, "the secret is never echoed");

  const unset = await check(
    '    listen: 127.0.0.1:9001\n    username: admin\n    password: "${TM_TEST_UNSET_PW}"',
  );
  assert.equal(unset.code, 2);
  assert.match(unset.stderr, /environment variable TM_TEST_UNSET_PW is not set/);

  const good = await check(
    '    listen: 0.0.0.0:9001\n    username: admin\n    password: "${TM_TEST_PW}"',
    { TM_TEST_PW: "s3cret" },
  );
  assert.equal(good.code, 0, good.stderr);
  const hashed = await check(
    `    listen: "[::1]:0"\n    username: admin\n    password_sha256: ${"ab".repeat(32)}`,
  );
  assert.equal(hashed.code, 0, hashed.stderr);
  const badListen = await check("    listen: nowhere");
  assert.match(badListen.stderr, /key "taskmaster\.http\.listen": expected host:port/);
});

Deno.test("the listener serves metrics, the API and the page, with strict headers and CSRF rules", async () => {
  await using d = await TestDaemon.start(`
taskmaster:
  http:
    listen: 127.0.0.1:0
programs:
  web:
    cmd: sleep 1003.11
    numprocs: 2
    starttime: 0
`);
  const base = await listenerUrl(d);
  await d.waitState("web:1", "RUNNING");

  type Families = {
    name: string;
    metrics: { value: string; labels?: Record<string, string> }[];
  }[];
  // A process caught in the middle of its exec (the spawn shim becoming
  // `sleep`) has no resident page yet: scrape again until both are measured.
  const families = await waitFor(async () => {
    const metrics = await fetch(`${base}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
    const all = parsePrometheusTextFormat(await metrics.text()) as Families;
    const rss = all.find((f) => f.name === "taskmaster_process_resident_memory_bytes");
    return rss !== undefined && rss.metrics.length === 2 &&
        rss.metrics.every((m) => Number(m.value) > 0)
      ? all
      : null;
  }, "a scrape with the RSS of both instances");
  const up = families.find((f) => f.name === "taskmaster_process_up")!;
  assert.deepEqual(
    up.metrics.map((m) => [m.labels?.instance, m.labels?.program, m.value]).sort(),
    [["web:0", "web", "1"], ["web:1", "web", "1"]],
  );

  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  const csp = page.headers.get("content-security-policy")!;
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
  const html = await page.text();
  const token = /name="csrf-token" content="([0-9a-f]{64})"/.exec(html)?.[1];
  assert.ok(token, "the page carries a CSRF token");
  assert.doesNotMatch(html, /https?:\/\//, "no CDN: every asset is local");
  const js = await fetch(`${base}/assets/app.js`);
  assert.equal(js.status, 200);
  assert.ok((await js.text()).length > 10_000);

  const stop = (headers: Record<string, string>) =>
    fetch(`${base}/v1/stop`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ names: ["web:0"] }),
    });
  const crossSite = await stop({ origin: "http://evil.example", "x-csrf-token": token });
  assert.equal(crossSite.status, 403);
  assert.match(await crossSite.text(), /cross-origin request refused/);
  const noToken = await stop({ origin: base });
  assert.equal(noToken.status, 403);
  assert.match(await noToken.text(), /CSRF token/);
  assert.equal((await d.info("web:0")).state, "RUNNING", "refused requests changed nothing");
  const withToken = await stop({ origin: base, "x-csrf-token": token });
  assert.equal(withToken.status, 200, await withToken.text());
  assert.equal((await d.info("web:0")).state, "STOPPED");
  // A script (no browser headers) needs no token.
  const script = await fetch(`${base}/v1/start`, {
    method: "POST",
    body: JSON.stringify({ names: ["web:0"] }),
  });
  assert.equal(script.status, 200, await script.text());
  assert.equal((await d.info("web:0")).state, "RUNNING");
});

Deno.test("credentials: none or wrong get 401 (wrong ones after a delay); the secret is never logged", async () => {
  await using d = await TestDaemon.start(
    `
taskmaster:
  http:
    listen: 127.0.0.1:0
    username: admin
    password: "\${TM_DASH_PW}"
programs:
  a:
    cmd: sleep 1003.12
`,
    [],
    { TM_DASH_PW: "correct horse" },
  );
  const base = await listenerUrl(d);
  const none = await fetch(`${base}/v1/processes`);
  assert.equal(none.status, 401);
  assert.match(none.headers.get("www-authenticate")!, /^Basic realm="taskmaster"/);
  await none.body?.cancel();
  const started = Date.now();
  const wrong = await fetch(`${base}/metrics`, { headers: basic("admin", "wrong") });
  assert.equal(wrong.status, 401);
  assert.ok(Date.now() - started >= 900, `a wrong password waited ${Date.now() - started} ms`);
  await wrong.body?.cancel();
  const wrongUser = await fetch(`${base}/metrics`, { headers: basic("root", "correct horse") });
  assert.equal(wrongUser.status, 401);
  await wrongUser.body?.cancel();
  const right = await fetch(`${base}/v1/processes`, { headers: basic("admin", "correct horse") });
  assert.equal(right.status, 200);
  assert.equal((await right.json())[0].name, "a");
  const log = await d.eventLog();
  assert.match(log, /wrong credentials from 127\.0\.0\.1/);
  assert.doesNotMatch(log, /correct horse|TM_DASH_PW=/);
});

Deno.test("tls: the listener speaks HTTPS with the configured certificate", async () => {
  await using d = await TestDaemon.start(`
taskmaster:
  http:
    listen: 127.0.0.1:0
    tls: {cert: ${TLS_DIR}cert.pem, key: ${TLS_DIR}key.pem}
programs:
  a:
    cmd: sleep 1003.13
`);
  const base = await listenerUrl(d);
  assert.match(base, /^https:\/\/127\.0\.0\.1:\d+$/);
  const client = Deno.createHttpClient({
    caCerts: [await Deno.readTextFile(`${TLS_DIR}ca.pem`)],
  });
  try {
    const response = await fetch(`${base}/v1/daemon`, { client });
    assert.equal(response.status, 200);
    assert.equal(typeof (await response.json()).pid, "number");
  } finally {
    client.close();
  }
});

Deno.test("ctl -c finds the socket without the listener's password variable being set", async () => {
  await using d = await TestDaemon.start(
    `
taskmaster:
  http:
    listen: 127.0.0.1:0
    username: admin
    password: "\${TM_CTL_PW}"
programs:
  a:
    cmd: sleep 1003.14
`,
    [],
    { TM_CTL_PW: "only-the-daemon-knows" },
  );
  await d.waitState("a", "RUNNING");
  const r = await runTaskmaster(["ctl", "-c", d.config, "status", "a"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^a\s+RUNNING/);
});

Deno.test("the TCP listener takes at most max_connections at once, closes one more at once, and logs it", async () => {
  await using d = await TestDaemon.start(`
taskmaster:
  max_connections: 2
  http:
    listen: 127.0.0.1:0
programs:
  web:
    cmd: sleep 1003.12
`);
  const url = new URL(await listenerUrl(d));
  // Two clients following output: their answers have begun, so both connections are open.
  const followers = [new AbortController(), new AbortController()];
  const responses = await Promise.all(
    followers.map((f) =>
      fetch(`${url.origin}/v1/processes/web/stdout/follow`, { signal: f.signal })
    ),
  );
  for (const r of responses) assert.equal(r.status, 200);
  const third = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  const closed = await Promise.race([
    third.read(new Uint8Array(16)).catch(() => null),
    new Promise<"open">((r) => setTimeout(() => r("open"), 10_000)),
  ]);
  assert.equal(closed, null, "the third connection is closed");
  third.close();
  await waitFor(
    async () => /http listener: refused 1 connection\(s\) \(1 in all\)/.test(await d.eventLog()),
    "the refusal in the event log",
  );
  for (const f of followers) f.abort();
  await Promise.all(responses.map((r) => r.body?.cancel().catch(() => {})));
  // Slots free again: a request is answered.
  const answer = await waitFor(async () => {
    const response = await fetch(`${url.origin}/v1/processes`).catch(() => null);
    if (response === null) return null;
    if (response.status === 200) return (await response.json()) as { name: string }[];
    await response.body?.cancel();
    return null;
  }, "an answer once the slots are free");
  assert.equal(answer[0]?.name, "web");
});
