/**
 * `--detach --wait`'s end of the launch: every autostart instance RUNNING or
 * given up, or a shutdown, which ends it at once naming what is not up.
 */
import assert from "node:assert/strict";
import type { ProcessInfo, StateChange } from "../../src/api/protocol.ts";
import { waitForLaunch } from "../../src/daemon/launch_wait.ts";
import { proc } from "../_helpers/fake_port.ts";

/** A supervisor's view over `rows`, with a way to announce a change. */
function view(rows: ProcessInfo[]) {
  const listeners = new Set<(change: StateChange) => void>();
  return {
    rows,
    listeners,
    view: {
      status: () => [...rows],
      onChange: (listener: (change: StateChange) => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      autostart: (p: ProcessInfo) => p.program !== "manual",
    },
    set(index: number, row: Partial<ProcessInfo>) {
      rows[index] = { ...rows[index]!, ...row };
      const change = { name: rows[index]!.name, to: rows[index]!.state } as StateChange;
      for (const listener of [...listeners]) listener(change);
    },
  };
}

/** Whether `promise` has settled after the current turn's microtasks. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => (done = true));
  await new Promise((r) => setTimeout(r, 0));
  return done;
}

Deno.test("the launch is over once every autostart instance is RUNNING; manual ones do not count", async () => {
  const v = view([
    proc("db", "STARTING", { startedAt: 1 }),
    proc("manual", "STOPPED", { startedAt: null }),
  ]);
  const wait = waitForLaunch(v.view);
  assert.equal(await settled(wait), false, "db is still starting");
  v.set(0, { state: "RUNNING" });
  assert.deepEqual(await wait, []);
  assert.equal(v.listeners.size, 0, "it stops listening");
});

Deno.test("a shutdown ends the wait at once, naming every autostart instance not up", async () => {
  const v = view([
    proc("db", "STARTING", { startedAt: 1 }),
    proc("api", "STOPPED", { startedAt: null }),
    proc("web", "RUNNING", { startedAt: 1 }),
  ]);
  let stop!: () => void;
  const stopping = new Promise<void>((resolve) => (stop = resolve));
  const wait = waitForLaunch(v.view, stopping);
  assert.equal(await settled(wait), false, "no shutdown yet: api's start is still queued");
  stop();
  assert.deepEqual(await wait, ["db (STARTING)", "api (STOPPED)"]);
  assert.equal(v.listeners.size, 0, "it stops listening");
});

Deno.test("a shutdown that began before the wait ends it at once", async () => {
  const v = view([proc("db", "STOPPED", { startedAt: null })]);
  assert.deepEqual(await waitForLaunch(v.view, Promise.resolve()), ["db (STOPPED)"]);
});

Deno.test("a launch of thousands reads the whole status a few times, not once per change", async () => {
  const n = 3000;
  const rows = Array.from({ length: n }, (_, i) => proc(`web:${i}`, "STARTING", { startedAt: 1 }));
  const v = view(rows);
  let reads = 0;
  const counted = { ...v.view, status: () => (reads++, v.view.status()) };
  const wait = waitForLaunch(counted);
  for (let i = 0; i < n; i++) v.set(i, { state: "RUNNING" });
  assert.deepEqual(await wait, []);
  assert.ok(reads <= 3, `the status was read ${reads} times for ${n} changes`);
});

Deno.test("an instance stopped before it ever started no longer holds the launch", async () => {
  const v = view([
    proc("db", "WAITING", { startedAt: null }),
    proc("web", "STARTING", { startedAt: 1 }),
  ]);
  const wait = waitForLaunch(v.view);
  v.set(1, { state: "RUNNING" });
  assert.equal(await settled(wait), false, "db is still waiting for its dependencies");
  v.set(0, { state: "STOPPED" }); // `stop db`: it never got a process
  assert.deepEqual(await wait, ["db (STOPPED)"]);
});

Deno.test("an instance removed without a change of its own is noticed by the next recount", async () => {
  const v = view([
    proc("db", "STOPPED", { startedAt: null }),
    proc("web", "STARTING", { startedAt: 1 }),
  ]);
  const wait = waitForLaunch(v.view);
  v.rows.splice(0, 1); // a reload dropped db while its start was still queued
  v.set(0, { state: "RUNNING" });
  assert.deepEqual(await wait, []);
});

Deno.test("a program a reload stops while it waits, then starts again, does not end the wait", async () => {
  const v = view([
    proc("db", "RUNNING", { startedAt: 1 }),
    proc("api", "WAITING", { startedAt: null }),
  ]);
  const wait = waitForLaunch(v.view);
  v.set(1, { state: "STOPPED" }); // the reload takes the old api down…
  assert.equal(await settled(wait), false, "not given up at once");
  v.set(1, { state: "STARTING", startedAt: 2 }); // …and starts the new one
  assert.equal(await settled(wait), false, "api is starting");
  v.set(1, { state: "RUNNING" });
  assert.deepEqual(await wait, []);
});
