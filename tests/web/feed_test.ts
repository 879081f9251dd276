import assert from "node:assert/strict";
import type { ProcessInfo, StateChange } from "../../src/api/protocol.ts";
import { dashboardFeed, type DashboardSource, type FeedEvent } from "../../src/web/feed.ts";
import { proc } from "../_helpers/fake_port.ts";

function fakeSource(rows: ProcessInfo[]) {
  const sample = new Set<() => void>();
  const change = new Set<(c: StateChange) => void>();
  const log = new Set<(line: string) => void>();
  let watchers = 0;
  const source: DashboardSource = {
    status: (names) =>
      Promise.resolve(names ? rows.filter((r) => names.includes(r.name)) : [...rows]),
    watchResources: () => {
      watchers++;
      return () => watchers--;
    },
    onSample: (l) => (sample.add(l), () => sample.delete(l)),
    onChange: (l) => (change.add(l), () => change.delete(l)),
    onLog: (l) => (log.add(l), () => log.delete(l)),
    history: (name) => name === "web" ? [{ at: 1, cpuPercent: 5, rssBytes: 2048 }] : [],
    daemon: () => ({ pid: 1, version: "x", file: "/t.yaml" }),
  };
  return {
    source,
    rows,
    get watchers() {
      return watchers;
    },
    sampled: () => sample.forEach((l) => l()),
    changed: (name: string) =>
      change.forEach((l) =>
        l({ name, program: name, from: "RUNNING", to: "STOPPED", pid: null, at: 0 })
      ),
    logged: (line: string) => log.forEach((l) => l(line)),
  };
}

async function next(it: AsyncIterator<FeedEvent>): Promise<FeedEvent> {
  const r = await it.next();
  assert.ok(!r.done);
  return r.value;
}

Deno.test("the feed sends a snapshot, then only changed rows, state changes and log lines; it watches while open", async () => {
  const f = fakeSource([proc("web", "RUNNING"), proc("db", "RUNNING")]);
  const abort = new AbortController();
  const it = dashboardFeed(f.source, abort.signal)[Symbol.asyncIterator]();
  const snapshot = await next(it);
  assert.equal(snapshot.event, "snapshot");
  const data = snapshot.data as { processes: ProcessInfo[]; history: Record<string, unknown> };
  assert.deepEqual(data.processes.map((p) => p.name), ["web", "db"]);
  assert.deepEqual(data.history.web, { cpu: [5], rss: [2] });
  assert.equal(f.watchers, 1, "an open feed keeps the sampler running");

  f.rows[1] = { ...f.rows[1]!, cpu_percent: 42 };
  f.sampled();
  const tick = await next(it);
  assert.equal(tick.event, "tick");
  assert.deepEqual((tick.data as { processes: ProcessInfo[] }).processes.map((p) => p.name), [
    "db",
  ]);

  f.sampled();
  assert.deepEqual(((await next(it)).data as { processes: unknown[] }).processes, []);

  f.rows[0] = { ...f.rows[0]!, state: "STOPPED", pid: null };
  f.changed("web");
  const change = await next(it);
  assert.equal(change.event, "process");
  assert.equal((change.data as ProcessInfo).state, "STOPPED");

  f.logged("hello");
  assert.deepEqual(await next(it), { event: "log", data: "hello" });

  f.rows.push(proc("new", "STARTING"));
  f.sampled();
  assert.equal((await next(it)).event, "snapshot", "a reload's new instance: a new snapshot");

  abort.abort();
  await it.return?.();
  assert.equal(f.watchers, 0, "closing the feed stops the sampler");
});
