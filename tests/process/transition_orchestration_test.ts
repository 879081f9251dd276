import assert from "node:assert/strict";
import { transition } from "../../src/process/transition.ts";
import { INITIAL_SNAPSHOT, type ProcessSnapshot } from "../../src/process/snapshot.ts";
import { program } from "../_helpers/program.ts";

const cfg = program({ starttime: 1, startretries: 3, stoptime: 10 });
const T0 = 1_000_000;

function runningSnap(c = cfg): ProcessSnapshot {
  let snap = transition(INITIAL_SNAPSHOT, { kind: "start" }, c, "api", T0).next;
  snap = transition(snap, { kind: "spawned", pid: 42 }, c, "api", T0).next;
  return transition(
    snap,
    { kind: "timer", timer: "started", generation: snap.generation },
    c,
    "api",
    T0 + 1000,
  ).next;
}

Deno.test("transition() holds a start in WAITING, then BLOCKED, and logs each once", () => {
  const waiting = transition(
    INITIAL_SNAPSHOT,
    { kind: "hold", waitingFor: "db (healthy)", blockedBy: null },
    cfg,
    "api",
    T0,
  );
  assert.equal(waiting.next.state, "WAITING");
  assert.equal(waiting.next.waitingFor, "db (healthy)");
  assert.ok(
    waiting.effects.some((e) =>
      e.kind === "log" && e.message === "waiting: api waiting for db (healthy)"
    ),
  );
  assert.ok(!waiting.effects.some((e) => e.kind === "spawn"));
  const again = transition(
    waiting.next,
    { kind: "hold", waitingFor: "db (healthy)", blockedBy: null },
    cfg,
    "api",
    T0,
  );
  assert.equal(again.effects.length, 0);
  const blocked = transition(
    waiting.next,
    { kind: "hold", waitingFor: "db (healthy)", blockedBy: "db is FATAL" },
    cfg,
    "api",
    T0,
  );
  assert.equal(blocked.next.state, "BLOCKED");
  assert.equal(blocked.next.blockedBy, "db is FATAL");
  assert.ok(
    blocked.effects.some((e) => e.kind === "log" && e.message === "blocked: api (db is FATAL)"),
  );
});

Deno.test("transition() releases WAITING into STARTING with a spawn; a start is already started", () => {
  const waiting = transition(
    INITIAL_SNAPSHOT,
    { kind: "hold", waitingFor: "db (running)", blockedBy: null },
    cfg,
    "api",
    T0,
  ).next;
  assert.equal(transition(waiting, { kind: "start" }, cfg, "api", T0).rejected, "ALREADY_STARTED");
  const released = transition(waiting, { kind: "release" }, cfg, "api", T0);
  assert.equal(released.next.state, "STARTING");
  assert.equal(released.next.waitingFor, null);
  assert.ok(released.effects.some((e) => e.kind === "spawn"));
});

Deno.test("transition() stops a WAITING or BLOCKED instance without signalling anything", () => {
  const blocked = transition(
    INITIAL_SNAPSHOT,
    { kind: "hold", waitingFor: "db (running)", blockedBy: "db is FATAL" },
    cfg,
    "api",
    T0,
  ).next;
  const r = transition(blocked, { kind: "stop" }, cfg, "api", T0 + 5);
  assert.equal(r.next.state, "STOPPED");
  assert.ok(!r.effects.some((e) => e.kind === "signalGroup"));
});

Deno.test("transition() restarts an unhealthy RUNNING process through a stop, counted, with the reason", () => {
  const snap = runningSnap();
  const r = transition(
    snap,
    { kind: "unhealthy", generation: snap.generation, reason: "liveness failed 3 times: HTTP 503" },
    cfg,
    "api",
    T0 + 5000,
  );
  assert.equal(r.next.state, "STOPPING");
  assert.ok(
    r.effects.some((e) =>
      e.kind === "log" &&
      e.message === "unhealthy: api (liveness failed 3 times: HTTP 503), restarting"
    ),
  );
  assert.ok(r.effects.some((e) => e.kind === "signalGroup" && e.signal === "SIGTERM"));
  const after = transition(
    r.next,
    {
      kind: "exited",
      generation: snap.generation,
      code: null,
      signal: "SIGTERM",
      groupAlive: false,
    },
    cfg,
    "api",
    T0 + 5100,
  );
  assert.equal(after.next.state, "STARTING");
  assert.equal(after.next.restarts, 1);
  assert.equal(after.next.generation, snap.generation + 1);
  assert.ok(after.effects.some((e) => e.kind === "spawn"));
});

Deno.test("transition() ignores unhealthy for STARTING, old generations, and a user stop wins", () => {
  let starting = transition(INITIAL_SNAPSHOT, { kind: "start" }, cfg, "api", T0).next;
  starting = transition(starting, { kind: "spawned", pid: 7 }, cfg, "api", T0).next;
  const ev = { kind: "unhealthy", generation: starting.generation, reason: "x" } as const;
  assert.equal(transition(starting, ev, cfg, "api", T0).next.state, "STARTING");
  const snap = runningSnap();
  const stale = { kind: "unhealthy", generation: snap.generation - 1, reason: "x" } as const;
  assert.equal(transition(snap, stale, cfg, "api", T0).next.state, "RUNNING");
  const stopping = transition(
    snap,
    { kind: "unhealthy", generation: snap.generation, reason: "x" },
    cfg,
    "api",
    T0,
  ).next;
  const stopped = transition(stopping, { kind: "stop" }, cfg, "api", T0).next;
  const gone = transition(
    stopped,
    { kind: "exited", generation: snap.generation, code: 0, signal: null, groupAlive: false },
    cfg,
    "api",
    T0,
  );
  assert.equal(gone.next.state, "STOPPED");
});

Deno.test("transition() counts a one-shot (autorestart never) that succeeds before starttime as completed", () => {
  const c = program({ starttime: 1, autorestart: "never" });
  let snap = transition(INITIAL_SNAPSHOT, { kind: "start" }, c, "migrate", T0).next;
  snap = transition(snap, { kind: "spawned", pid: 9 }, c, "migrate", T0).next;
  const ok = transition(
    snap,
    { kind: "exited", generation: snap.generation, code: 0, signal: null, groupAlive: false },
    c,
    "migrate",
    T0 + 200,
  );
  assert.equal(ok.next.state, "EXITED");
  assert.equal(ok.next.expected, true);
  const bad = transition(
    snap,
    { kind: "exited", generation: snap.generation, code: 3, signal: null, groupAlive: false },
    c,
    "migrate",
    T0 + 200,
  );
  assert.equal(bad.next.state, "BACKOFF");
});
