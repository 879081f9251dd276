import assert from "node:assert/strict";
import type { StateChange } from "../../src/api/protocol.ts";
import { eventsOfChange, FlapTracker, isAutomaticRestart } from "../../src/alerts/classify.ts";
import { globMatch } from "../../src/util/glob_match.ts";
import { buildPayload, daemonFacts, subject } from "../../src/alerts/payload.ts";
import { RuleGate } from "../../src/alerts/throttle.ts";
import { formatSyslog } from "../../src/alerts/channels/syslog.ts";
import { INITIAL_SNAPSHOT, type ProcessSnapshot } from "../../src/process/snapshot.ts";
import type { AlertPayload } from "../../src/alerts/types.ts";

const change = (from: string, to: string): StateChange =>
  ({ name: "web:1", program: "web", from, to, pid: null, at: 0 }) as StateChange;
const snap = (s: Partial<ProcessSnapshot>): ProcessSnapshot => ({ ...INITIAL_SNAPSHOT, ...s });

Deno.test("eventsOfChange: exits are crashed or exited by code and signal", () => {
  assert.deepEqual(eventsOfChange(change("STARTING", "RUNNING"), snap({})), ["started"]);
  assert.deepEqual(
    eventsOfChange(change("RUNNING", "EXITED"), snap({ exitcode: 3, expected: false })),
    ["crashed"],
  );
  assert.deepEqual(
    eventsOfChange(change("RUNNING", "EXITED"), snap({ exitcode: 0, expected: true })),
    ["exited"],
  );
  // An exit restarted at once is announced as RUNNING -> STARTING.
  assert.deepEqual(
    eventsOfChange(change("RUNNING", "STARTING"), snap({ signal: "SIGKILL", expected: false })),
    ["crashed"],
  );
  assert.deepEqual(
    eventsOfChange(change("STARTING", "BACKOFF"), snap({ exitcode: 1, expected: false })),
    ["crashed", "backoff"],
  );
  assert.deepEqual(
    eventsOfChange(change("STARTING", "FATAL"), snap({ exitcode: 1, expected: false })),
    ["crashed", "fatal"],
  );
  // A spawn failure is no crash: nothing ran.
  assert.deepEqual(
    eventsOfChange(change("STARTING", "BACKOFF"), snap({ spawnerr: "can't find command 'x'" })),
    ["backoff"],
  );
  assert.deepEqual(eventsOfChange(change("STOPPING", "STOPPED"), snap({})), ["stopped"]);
  assert.ok(isAutomaticRestart(change("EXITED", "STARTING")));
  assert.ok(isAutomaticRestart(change("BACKOFF", "STARTING")));
  assert.ok(!isAutomaticRestart(change("STOPPED", "STARTING")));
});

Deno.test("FlapTracker: more than `restarts` in `within` seconds flaps once, re-arms when calm", () => {
  const flaps = new FlapTracker();
  const flap = { restarts: 3, within: 10 };
  const seen = [0, 1000, 2000].map((t) => flaps.restarted("w", t, flap));
  assert.deepEqual(seen, [false, false, false]);
  assert.equal(flaps.restarted("w", 3000, flap), true);
  assert.equal(flaps.restarted("w", 4000, flap), false, "reported once while it keeps flapping");
  assert.equal(flaps.restarted("w", 30_000, flap), false, "calm again");
  for (const t of [31_000, 32_000]) flaps.restarted("w", t, flap);
  assert.equal(flaps.restarted("w", 33_000, flap), true, "flapping again is reported again");
});

Deno.test("RuleGate: cooldown per key and the hourly cap, with held-back counts", () => {
  const gate = new RuleGate(300, 3);
  assert.deepEqual(gate.admit("web|crashed", 0), { suppressed: 0 });
  assert.equal(gate.admit("web|crashed", 1000), null);
  assert.equal(gate.admit("web|crashed", 299_000), null);
  assert.deepEqual(gate.admit("web|fatal", 2000), { suppressed: 0 }, "another event: own key");
  assert.deepEqual(gate.admit("web|crashed", 300_000), { suppressed: 2 });
  assert.equal(gate.admit("db|crashed", 300_001), null, "3 per hour reached");
  assert.deepEqual(gate.admit("db|crashed", 3_600_001), { suppressed: 1 });
  const open = new RuleGate(0, 1000);
  assert.deepEqual([0, 1, 2].map((t) => open.admit("k", t)), [
    { suppressed: 0 },
    { suppressed: 0 },
    { suppressed: 0 },
  ]);
});

Deno.test("globMatch: program and instance globs", () => {
  assert.ok(globMatch("*", "web:1"));
  assert.ok(globMatch("web*", "web:1"));
  assert.ok(globMatch("web:?", "web:1"));
  assert.ok(globMatch("w[ae]b", "web"));
  assert.ok(!globMatch("web", "web:1"));
  assert.ok(!globMatch("db*", "web"));
  assert.ok(globMatch("a.b", "a.b") && !globMatch("a.b", "axb"));
});

function crashed(): AlertPayload {
  return buildPayload(
    {
      ...daemonFacts("crashed", Date.UTC(2026, 11, 1, 3, 4, 5), "exit status 3 (not expected)"),
      program: "web",
      instance: "web:1",
      pid: 42,
      from_state: "RUNNING",
      to_state: "EXITED",
      exit_code: 3,
      expected: false,
    },
    "HOST",
    { stdout: [], stderr: [] },
    0,
  );
}

Deno.test("subject: `[taskmaster] web:1 crashed (exit 3) on HOST`", () => {
  assert.equal(
    subject({ kind: "single", payload: crashed() }),
    "[taskmaster] web:1 crashed (exit 3) on HOST",
  );
  const killed = { ...crashed(), exit_code: null, signal: "SIGKILL" };
  assert.equal(
    subject({ kind: "single", payload: killed }),
    "[taskmaster] web:1 crashed (signal SIGKILL) on HOST",
  );
  const digest = {
    version: 1 as const,
    event: "digest" as const,
    time: "",
    host: "HOST",
    count: 2,
    alerts: [crashed(), crashed()],
  };
  assert.equal(subject({ kind: "digest", payload: digest }), "[taskmaster] 2 alerts on HOST");
});

Deno.test("formatSyslog: RFC 5424 and RFC 3164 lines", () => {
  const at = new Date(2026, 11, 1, 3, 4, 5);
  const message = { kind: "single" as const, payload: crashed() };
  const line = formatSyslog(
    { facility: 3, format: "rfc5424", tag: "taskmaster" },
    message,
    "HOST",
    at,
    99,
  );
  // daemon (3) * 8 + err (3) = 27
  assert.match(
    line,
    /^<27>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z HOST taskmaster 99 crashed - web:1 crashed \(exit 3\) on HOST: exit status 3 \(not expected\) \[program=web pid=42 from=RUNNING to=EXITED exit_code=3\]$/,
  );
  const old = formatSyslog({ facility: 16, format: "rfc3164", tag: "tm" }, message, "HOST", at, 7);
  assert.equal(old.slice(0, 30), "<131>Dec  1 03:04:05 HOST tm[7");
  assert.match(old, /^<131>Dec {2}1 03:04:05 HOST tm\[7\]: web:1 crashed \(exit 3\) on HOST: /);
});
