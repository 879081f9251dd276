import assert from "node:assert/strict";
import { ResourceMonitor } from "../../src/supervisor/resources.ts";
import type { GroupUsage } from "../../src/process/group_usage.ts";

function setup(historyLength?: number) {
  let now = 10_000;
  let cpu = 0;
  const samples: number[] = [];
  const live = [{ name: "web", pgid: 42, startedAt: 0 }];
  const monitor = new ResourceMonitor({
    now: () => now,
    instances: () => live,
    sample: (targets) => {
      samples.push(now);
      return new Map<number, GroupUsage>(
        targets.map((t) => [t.pgid, { cpuSeconds: cpu, rssBytes: 1 << 20 }]),
      );
    },
    intervalMs: 20,
    historyLength,
  });
  return {
    monitor,
    samples,
    live,
    advance(ms: number, cpuSeconds: number) {
      now += ms;
      cpu += cpuSeconds;
    },
  };
}

Deno.test("the first figure is the average since the process started, then per interval", () => {
  const t = setup();
  t.advance(0, 2); // 2 CPU seconds over its first 10 s
  t.monitor.refresh();
  assert.deepEqual(t.monitor.usage("web"), { cpuPercent: 20, rssBytes: 1 << 20, cpuSeconds: 2 });
  t.advance(1000, 0.5);
  t.monitor.refresh();
  assert.equal(t.monitor.usage("web").cpuPercent, 50);
  t.advance(1000, 0);
  t.monitor.refresh();
  assert.equal(t.monitor.usage("web").cpuPercent, 0);
});

Deno.test("history grows only while someone watches, up to historyLength points", () => {
  const t = setup(4);
  for (let i = 0; i < 5; i++) {
    t.advance(1000, 0.1);
    t.monitor.refresh(); // a status call or a metrics scrape
  }
  assert.equal(t.monitor.usage("web").cpuPercent, 10, "the figures are fresh");
  assert.deepEqual(t.monitor.history("web"), [], "no sparkline points with nobody watching");

  const release = t.monitor.watch(); // samples at once, then on its timer
  try {
    for (let i = 0; i < 4; i++) {
      t.advance(1000, 0.2);
      t.monitor.refresh(true);
    }
  } finally {
    release();
  }
  const points = t.monitor.history("web");
  assert.deepEqual(points.map((p) => p.at), [16_000, 17_000, 18_000, 19_000], "the last 4 of 5");
  assert.deepEqual(points.at(-1), { at: 19_000, cpuPercent: 20, rssBytes: 1 << 20 });
  t.advance(1000, 0);
  t.monitor.refresh();
  assert.equal(t.monitor.history("web").length, 4, "kept after the watcher left");
});

Deno.test("a process younger than half a second shows no CPU % until its window is long enough", () => {
  const t = setup();
  t.live[0] = { name: "web", pgid: 42, startedAt: 10_000 - 57 };
  t.advance(0, 0.01); // one tick spent on its exec, 57 ms ago
  t.monitor.refresh();
  assert.equal(t.monitor.usage("web").cpuPercent, 0, "not 17.5%");
  assert.equal(t.monitor.usage("web").cpuSeconds, 0.01);
  t.advance(443, 0);
  t.monitor.refresh(true);
  assert.equal(t.monitor.usage("web").cpuPercent, 2, "0.01 s over its first 500 ms");
  t.advance(100, 0.05);
  t.monitor.refresh(true);
  assert.equal(t.monitor.usage("web").cpuPercent, 2, "a 100 ms window keeps the last figure");
  t.advance(400, 0);
  t.monitor.refresh(true);
  assert.equal(t.monitor.usage("web").cpuPercent, 10, "0.05 s over the 500 ms since");
});

Deno.test("a refresh right after a sample reuses it", () => {
  const t = setup();
  t.monitor.refresh();
  t.advance(100, 0);
  t.monitor.refresh();
  assert.equal(t.samples.length, 1);
  t.advance(600, 0);
  t.monitor.refresh();
  assert.equal(t.samples.length, 2);
});

Deno.test("a restarted instance (new pgid) starts its figures over; a stopped one reads zero", () => {
  const t = setup();
  t.advance(0, 5);
  t.monitor.refresh();
  t.live[0] = { name: "web", pgid: 43, startedAt: 10_000 };
  t.advance(1000, -5 + 0.1); // the new group has used 0.1 s in its first second
  t.monitor.refresh();
  assert.equal(t.monitor.usage("web").cpuPercent, 10);
  t.live.length = 0;
  t.advance(1000, 0);
  t.monitor.refresh();
  assert.deepEqual(t.monitor.usage("web"), { cpuPercent: 0, rssBytes: 0, cpuSeconds: 0 });
  // Started again and given the same pgid (a reused pid): a new process, measured from its start.
  t.live.push({ name: "web", pgid: 43, startedAt: 12_000 });
  t.advance(1000, 0.2); // its group has used 0.3 s in its first second
  t.monitor.refresh();
  assert.equal(t.monitor.usage("web").cpuPercent, 30);
});

Deno.test("nobody watching: no timer samples; a watcher samples until released", async () => {
  const t = setup();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(t.samples.length, 0, "idle: not a single sample");
  const release = t.monitor.watch();
  const other = t.monitor.watch();
  assert.equal(t.monitor.watching, true);
  await new Promise((r) => setTimeout(r, 100));
  release();
  assert.equal(t.monitor.watching, true, "one watcher left");
  other();
  assert.equal(t.monitor.watching, false);
  const taken = t.samples.length;
  assert.ok(taken >= 2, `sampled ${taken} times while watched`);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(t.samples.length, taken, "sampling stopped with the last watcher");
});
