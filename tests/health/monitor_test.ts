import assert from "node:assert/strict";
import { type HealthEvent, HealthMonitor } from "../../src/health/monitor.ts";
import { ProcessRunner } from "../../src/process/runner.ts";
import type { ProbeConfig } from "../../src/config/types.ts";
import { FakeClock, FakeOs, FakeSpawner } from "../_helpers/fake_process.ts";
import { program } from "../_helpers/program.ts";

const probe = (pattern: string, more: Partial<ProbeConfig> = {}): ProbeConfig => ({
  check: { kind: "log_line", pattern },
  initialDelay: 0,
  period: 1,
  timeout: 1,
  successThreshold: 1,
  failureThreshold: 3,
  ...more,
});

/** A runner and its monitor on an injected clock, with output pushed by the test. */
function setup(overrides: Parameters<typeof program>[0], rss: () => number | null = () => 0) {
  const clock = new FakeClock();
  const spawner = new FakeSpawner();
  const os = new FakeOs();
  const logs: string[] = [];
  const events: HealthEvent[] = [];
  const taps = new Map<string, (chunk: Uint8Array) => void>();
  const runner = new ProcessRunner(program({ starttime: 0, ...overrides }), 0, {
    spawner,
    clock,
    log: (_level, message) => logs.push(message),
    output: { relay: () => Promise.resolve() },
    targets: () => ({
      stdout: { path: null, maxBytes: 0, backups: 0, timestamps: false, flushPartialAfterMs: 0 },
      stderr: { path: null, maxBytes: 0, backups: 0, timestamps: false, flushPartialAfterMs: 0 },
    }),
    onChange: () => {},
    groupAlive: () => Promise.resolve(false),
    os,
  });
  const monitor = new HealthMonitor(runner, {
    spawner,
    clock,
    log: (_level, message) => logs.push(message),
    tap: (key, listener) => {
      taps.set(key, listener);
      return () => taps.delete(key);
    },
    groupRss: rss,
    onEvent: (event) => events.push(event),
  });
  const print = (line: string) =>
    taps.get(`${runner.name}:stdout`)?.(new TextEncoder().encode(line));
  return { clock, runner, monitor, logs, events, print };
}

/** Lets the checks' promises settle, then moves the clock. */
async function tick(clock: FakeClock, ms: number): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
  clock.advance(ms);
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

Deno.test("HealthMonitor: readiness passes after success_threshold checks once the line is seen", async () => {
  const t = setup({ readiness: probe("^ready$", { successThreshold: 2 }) });
  t.runner.dispatch({ kind: "start" });
  assert.equal(t.runner.state, "RUNNING");
  assert.equal(t.runner.ready, false);
  await tick(t.clock, 0);
  await tick(t.clock, 1000);
  assert.equal(t.runner.ready, false);
  t.print("booting\nrea");
  t.print("dy\n");
  await tick(t.clock, 1000);
  assert.equal(t.runner.ready, false, "one success of two");
  await tick(t.clock, 1000);
  assert.equal(t.runner.ready, true);
  assert.deepEqual(t.events.map((e) => [e.kind, e.check]), [["ready", "readiness"]]);
  assert.ok(t.logs.includes("ready: web (readiness passed)"));
  t.monitor.dispose();
});

Deno.test("HealthMonitor: liveness failures restart once per threshold, with the reason", async () => {
  const t = setup({ liveness: probe("^alive$", { failureThreshold: 3 }) });
  t.runner.dispatch({ kind: "start" });
  const firstGeneration = t.runner.snapshot.generation;
  for (let i = 0; i < 3; i++) await tick(t.clock, i === 0 ? 0 : 1000);
  assert.equal(t.runner.state, "STOPPING");
  assert.ok(
    t.logs.includes(
      "unhealthy: web (liveness failed 3 times: no line matching /^alive$/ yet), restarting",
    ),
  );
  assert.deepEqual(t.events.map((e) => e.kind), ["unhealthy"]);
  assert.equal(t.runner.snapshot.generation, firstGeneration);
  // No further check of the old process while it stops: still one event after more time.
  await tick(t.clock, 5000);
  assert.equal(t.events.length, 1);
  t.monitor.dispose();
});

Deno.test("HealthMonitor: max_memory checks the group's RSS every liveness period", async () => {
  let rss = 10 * 1024 * 1024;
  const t = setup({ maxMemory: 50 * 1024 * 1024, liveness: probe(".", { period: 2 }) }, () => rss);
  t.runner.dispatch({ kind: "start" });
  t.print("x\n");
  await tick(t.clock, 2000);
  assert.equal(t.runner.state, "RUNNING");
  rss = 60 * 1024 * 1024;
  await tick(t.clock, 2000);
  assert.equal(t.runner.state, "STOPPING");
  assert.deepEqual(t.events.map((e) => [e.check, e.reason]), [
    ["max_memory", "max_memory exceeded: 60.0 MB > 50.0 MB"],
  ]);
  t.monitor.dispose();
});
