import assert from "node:assert/strict";
import { alertIssues, alertsConfig } from "./_config.ts";
import { valid, web } from "../config/_helpers.ts";
import { lines } from "../config/_helpers.ts";

const EXAMPLE = `
  channels:
    ops-hook: {webhook: {url: "https://hooks.example/x", headers: {Authorization: "Bearer \${ALERT_TOKEN}"},
                         timeout: 5, retries: 3}}
    ops-mail: {email: {smtp: "smtp://user:\${SMTP_PASS}@mail.example:587", starttls: true,
                       from: "taskmaster@host", to: [ops@example.com]}}
    local:    {syslog: {address: /dev/log, facility: daemon}}
    remote:   {syslog: {address: "udp://10.0.0.1:514"}}
    pager:    {exec: {cmd: /usr/local/bin/notify, timeout: 10}}
  rules:
    - events: [crashed, fatal, flapping]
      programs: ["*"]
      channels: [ops-hook, ops-mail, local]
      cooldown: 300
      batch: 0
      max_per_hour: 30
`;

Deno.test("alerts: the issue's example is valid, with ${NAME} taken from the environment", () => {
  const config = alertsConfig(EXAMPLE, { ALERT_TOKEN: "tok-123", SMTP_PASS: "p@ss-456" });
  const hook = config.alerts.channels.get("ops-hook")!;
  assert.equal(hook.spec.kind, "webhook");
  if (hook.spec.kind !== "webhook") return;
  assert.equal(hook.spec.headers.Authorization, "Bearer tok-123");
  assert.equal(hook.spec.retries, 3);
  assert.deepEqual(hook.secrets, ["tok-123"]);
  const mail = config.alerts.channels.get("ops-mail")!;
  assert.ok(mail.spec.kind === "email" && mail.spec.smtp.includes("p@ss-456"));
  assert.ok(mail.secrets.includes("p@ss-456"));
  const local = config.alerts.channels.get("local")!.spec;
  assert.deepEqual(local.kind === "syslog" && local.address, {
    transport: "unix",
    path: "/dev/log",
  });
  assert.equal(local.kind === "syslog" && local.facility, 3);
  const remote = config.alerts.channels.get("remote")!.spec;
  assert.deepEqual(remote.kind === "syslog" && remote.address, {
    transport: "udp",
    host: "10.0.0.1",
    port: 514,
  });
  assert.equal(remote.kind === "syslog" && remote.format, "rfc5424");
  const rule = config.alerts.rules[0]!;
  assert.deepEqual([...rule.events], ["crashed", "fatal", "flapping"]);
  assert.deepEqual(rule.channels, ["ops-hook", "ops-mail", "local"]);
  assert.equal(rule.cooldown, 300);
  assert.equal(rule.maxPerHour, 30);
});

Deno.test("alerts: a missing variable is an error naming it, and no secret is quoted", () => {
  const issues = alertIssues(EXAMPLE, { SMTP_PASS: "p@ss-456" });
  assert.equal(issues.length, 1);
  assert.match(issues[0]!, /environment variable ALERT_TOKEN is not set/);
  assert.match(
    issues[0]!,
    /^\/cfg\/taskmaster\.yaml:7:\d+: key "alerts\.channels\.ops-hook\.webhook\.headers\.Authorization"/,
  );
  const bad = alertIssues(
    `
  channels:
    h: {webhook: {url: "ftp://\${TOKEN}", timeout: -1}}
  rules:
    - {channels: [h]}
`,
    { TOKEN: "very-secret-value" },
  );
  assert.ok(bad.length >= 2);
  for (const line of bad) assert.doesNotMatch(line, /very-secret-value/);
  assert.match(bad.join("\n"), /webhook\.url.*expected an http:\/\/ or https:\/\/ URL/);
  assert.match(bad.join("\n"), /webhook\.timeout.*expected a number of seconds >= 0/);
});

Deno.test("alerts: unknown keys, events and channels are named with a suggestion", () => {
  const issues = alertIssues(`
  channels:
    h: {webhook: {url: "http://127.0.0.1/x", retrys: 2}}
    w: {pager: {cmd: x}}
  rules:
    - events: [crashd]
      channels: [hh]
      cooldwn: 3
`);
  const text = issues.join("\n");
  assert.match(
    text,
    /key "alerts\.channels\.h\.webhook\.retrys": unknown key "retrys"; did you mean "retries"\?/,
  );
  assert.match(text, /alerts\.channels\.w.*unknown key "pager"/);
  assert.match(text, /unknown event "crashd"; did you mean "crashed"\?/);
  assert.match(text, /unknown channel "hh"/);
  assert.match(text, /unknown key "cooldwn"/);
});

Deno.test("alerts: rule defaults and syslog addresses", () => {
  const config = alertsConfig(`
  channels:
    t: {syslog: {address: "tcp://127.0.0.1", format: rfc3164, facility: local3}}
  rules:
    - channels: [t]
`);
  const rule = config.alerts.rules[0]!;
  assert.deepEqual([...rule.events], ["crashed", "fatal", "flapping"]);
  assert.deepEqual(rule.programs, ["*"]);
  assert.equal(rule.cooldown, 300);
  assert.equal(rule.batch, 0);
  assert.equal(rule.maxPerHour, 30);
  const spec = config.alerts.channels.get("t")!.spec;
  assert.ok(spec.kind === "syslog");
  assert.deepEqual(spec.address, { transport: "tcp", host: "127.0.0.1", port: 601 });
  assert.equal(spec.facility, 19);
  assert.equal(spec.format, "rfc3164");
});

Deno.test("flap: on a program, validated, applied live on reload", () => {
  const p = valid(web("flap: {restarts: 5, within: 60}")).programs.get("web")!;
  assert.deepEqual(p.flap, { restarts: 5, within: 60 });
  assert.equal(valid(web()).programs.get("web")!.flap, null);
  const errors = lines(web("flap: {restarts: 0, within: 0, burst: 1}")).join("\n");
  assert.match(errors, /program "web": key "flap": flap\.restarts: expected an integer >= 1/);
  assert.match(errors, /flap\.within: expected a number of seconds > 0/);
  assert.match(errors, /unknown key "flap\.burst"/);
});
