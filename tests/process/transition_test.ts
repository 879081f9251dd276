import assert from "node:assert/strict";
import { transition } from "../../src/process/transition.ts";
import { MIN_RESTART_INTERVAL_MS } from "../../src/process/exit_edges.ts";
import {
  INITIAL_SNAPSHOT,
  type ProcessEvent,
  type ProcessSnapshot,
  type TransitionResult,
} from "../../src/process/snapshot.ts";
import { program } from "../_helpers/program.ts";

const cfg = program({ starttime: 1, startretries: 3, stoptime: 10 });
const T0 = 1_000_000;

/** Feeds events in order, each at its own time, returning the last result. */
function run(
  events: [ProcessEvent, number][],
  start: ProcessSnapshot = INITIAL_SNAPSHOT,
  c = cfg,
): TransitionResult {
  let snap = start;
  let last: TransitionResult = { next: start, effects: [] };
  for (const [event, at] of events) {
    last = transition(snap, event, c, "web", at);
    snap = last.next;
  }
  return last;
}

/** A process that reached RUNNING under `c` (its starttime timer fired at T0 + 1 s). */
function runningSnap(c = cfg): ProcessSnapshot {
  const snap = started(c);
  return transition(
    snap,
    { kind: "timer", timer: "started", generation: snap.generation },
    c,
    "web",
    T0 + 1000,
  )
    .next;
}

/** A process started (and spawned as pid 42) at T0 under `c`. */
function started(c = cfg): ProcessSnapshot {
  return run([[{ kind: "start" }, T0], [{ kind: "spawned", pid: 42 }, T0]], INITIAL_SNAPSHOT, c)
    .next;
}

function exited(generation: number, code: number | null, signal: string | null = null) {
  return { kind: "exited", generation, code, signal, groupAlive: false } as const;
}

Deno.test("transition() moves STOPPED to STARTING with a spawn effect on start", () => {
  const r = transition(INITIAL_SNAPSHOT, { kind: "start" }, cfg, "web", T0);
  assert.equal(r.next.state, "STARTING");
  assert.deepEqual(r.effects.map((e) => e.kind), ["cancel", "spawn"]);
});

Deno.test("transition() schedules the started timer starttime after the spawn", () => {
  const snap = started();
  assert.equal(snap.pid, 42);
  const r = transition(
    run([[{ kind: "start" }, T0]]).next,
    { kind: "spawned", pid: 42 },
    cfg,
    "web",
    T0,
  );
  assert.ok(
    r.effects.some((e) => e.kind === "schedule" && e.timer === "started" && e.at === T0 + 1000),
  );
});

Deno.test("transition() moves STARTING to RUNNING when the started timer fires", () => {
  const snap = started();
  const r = transition(
    snap,
    { kind: "timer", timer: "started", generation: snap.generation },
    cfg,
    "web",
    T0 + 1000,
  );
  assert.equal(r.next.state, "RUNNING");
  assert.equal(r.next.backoff, 0);
});

Deno.test("transition() with starttime 0 is RUNNING as soon as the child exists", () => {
  const c = program({ starttime: 0 });
  const snap = started(c);
  assert.equal(snap.state, "RUNNING");
});

Deno.test("transition() treats an exit before starttime as a failed start even with an expected code", () => {
  const snap = started();
  const r = transition(snap, exited(snap.generation, 0), cfg, "web", T0 + 200);
  assert.equal(r.next.state, "BACKOFF");
  assert.equal(r.next.backoff, 1);
  assert.ok(
    r.effects.some((e) => e.kind === "schedule" && e.timer === "retry" && e.at === T0 + 200 + 1000),
  );
});

Deno.test("transition() waits 1 s, 2 s, 3 s between retries and gives up after 1 + startretries attempts", () => {
  let snap = INITIAL_SNAPSHOT;
  let now = T0;
  const waits: number[] = [];
  let attempts = 0;
  snap = transition(snap, { kind: "start" }, cfg, "web", now).next;
  for (;;) {
    attempts++;
    snap =
      transition(snap, { kind: "spawnFailed", reason: "can't find command 'x'" }, cfg, "web", now)
        .next;
    if (snap.state === "FATAL") break;
    assert.equal(snap.state, "BACKOFF");
    waits.push(snap.backoff);
    now += snap.backoff * 1000;
    snap = transition(
      snap,
      { kind: "timer", timer: "retry", generation: snap.generation },
      cfg,
      "web",
      now,
    ).next;
    assert.equal(snap.state, "STARTING");
  }
  assert.equal(attempts, 4);
  assert.deepEqual(waits, [1, 2, 3]);
  assert.equal(snap.spawnerr, "can't find command 'x'");
});

Deno.test("transition() with startretries 0 goes FATAL after one failed attempt", () => {
  const c = program({ startretries: 0 });
  let snap = transition(INITIAL_SNAPSHOT, { kind: "start" }, c, "web", T0).next;
  snap = transition(snap, { kind: "spawnFailed", reason: "nope" }, c, "web", T0).next;
  assert.equal(snap.state, "FATAL");
});

Deno.test("transition() promotes a process whose exit came after starttime even if the timer had not fired", () => {
  const snap = started();
  const r = transition(snap, exited(snap.generation, 1), cfg, "web", T0 + 1500);
  // RUNNING then EXITED (unexpected) then restarted at once.
  assert.equal(r.next.state, "STARTING");
  assert.equal(r.next.backoff, 0);
  assert.ok(r.effects.some((e) => e.kind === "log" && e.message.startsWith("success:")));
});

Deno.test("transition() restarts an unexpected exit from RUNNING at once under autorestart unexpected", () => {
  const snap = runningSnap();
  const r = transition(snap, exited(snap.generation, null, "SIGKILL"), cfg, "web", T0 + 5000);
  assert.equal(r.next.state, "STARTING");
  assert.equal(r.next.signal, "SIGKILL");
  assert.ok(r.effects.some((e) => e.kind === "spawn"));
});

Deno.test("transition() leaves an expected exit EXITED under autorestart unexpected", () => {
  const snap = runningSnap();
  const r = transition(snap, exited(snap.generation, 0), cfg, "web", T0 + 5000);
  assert.equal(r.next.state, "EXITED");
  assert.equal(r.next.expected, true);
  assert.ok(!r.effects.some((e) => e.kind === "spawn"));
});

Deno.test("transition() never restarts under autorestart never, always restarts under always", () => {
  for (
    const [autorestart, code, state] of [["never", 1, "EXITED"], ["always", 0, "STARTING"]] as const
  ) {
    const c = program({ autorestart });
    const snap = runningSnap(c);
    assert.equal(
      transition(snap, exited(snap.generation, code), c, "web", T0 + 9000).next.state,
      state,
    );
  }
});

Deno.test("transition() delays the restart of a process that dies right after a starttime-0 start", () => {
  const c = program({ starttime: 0, autorestart: "always" });
  let snap = started(c);
  const r = transition(snap, exited(snap.generation, 1), c, "web", T0 + 10);
  assert.equal(r.next.state, "EXITED");
  assert.ok(
    r.effects.some((e) =>
      e.kind === "schedule" && e.timer === "restart" && e.at === T0 + MIN_RESTART_INTERVAL_MS
    ),
  );
  snap = transition(
    r.next,
    { kind: "timer", timer: "restart", generation: r.next.generation },
    c,
    "web",
    T0 + 1000,
  ).next;
  assert.equal(snap.state, "STARTING");
});

Deno.test("transition() stops a RUNNING process with its stopsignal to the group and a SIGKILL deadline", () => {
  const c = program({ stopsignal: "SIGUSR1", stoptime: 3 });
  let snap = started(c);
  const r = transition(snap, { kind: "stop" }, c, "web", T0 + 2000);
  assert.equal(r.next.state, "STOPPING");
  assert.ok(r.effects.some((e) => e.kind === "signalGroup" && e.signal === "SIGUSR1"));
  assert.ok(
    r.effects.some((e) => e.kind === "schedule" && e.timer === "kill" && e.at === T0 + 5000),
  );
  snap = r.next;
  const kill = transition(
    snap,
    { kind: "timer", timer: "kill", generation: snap.generation },
    c,
    "web",
    T0 + 5000,
  );
  assert.ok(kill.effects.some((e) => e.kind === "signalGroup" && e.signal === "SIGKILL"));
  const done = transition(snap, exited(snap.generation, null, "SIGKILL"), c, "web", T0 + 5001);
  assert.equal(done.next.state, "STOPPED");
});

Deno.test("transition() keeps STOPPING while the group outlives its leader, then STOPPED on groupGone", () => {
  let snap = started();
  snap = transition(snap, { kind: "stop" }, cfg, "web", T0 + 100).next;
  const r = transition(
    snap,
    { ...exited(snap.generation, 0), groupAlive: true },
    cfg,
    "web",
    T0 + 200,
  );
  assert.equal(r.next.state, "STOPPING");
  assert.equal(r.next.pid, null);
  assert.equal(r.next.pgid, 42);
  assert.ok(r.effects.some((e) => e.kind === "watchGroup"));
  const gone = transition(
    r.next,
    { kind: "groupGone", generation: r.next.generation },
    cfg,
    "web",
    T0 + 300,
  );
  assert.equal(gone.next.state, "STOPPED");
});

Deno.test("transition() never restarts a process the user stopped", () => {
  const c = program({ autorestart: "always" });
  let snap = started(c);
  snap = transition(snap, { kind: "stop" }, c, "web", T0 + 2000).next;
  const r = transition(snap, exited(snap.generation, null, "SIGTERM"), c, "web", T0 + 2001);
  assert.equal(r.next.state, "STOPPED");
  assert.ok(!r.effects.some((e) => e.kind === "spawn"));
});

Deno.test("transition() stops BACKOFF at once and drops the pending retry", () => {
  let snap = transition(INITIAL_SNAPSHOT, { kind: "start" }, cfg, "web", T0).next;
  snap = transition(snap, { kind: "spawnFailed", reason: "x" }, cfg, "web", T0).next;
  const r = transition(snap, { kind: "stop" }, cfg, "web", T0 + 10);
  assert.equal(r.next.state, "STOPPED");
  assert.ok(r.effects.some((e) => e.kind === "cancel" && e.timer === "retry"));
});

Deno.test("transition() rejects start when already started and stop when not running", () => {
  const snap = started();
  assert.equal(transition(snap, { kind: "start" }, cfg, "web", T0).rejected, "ALREADY_STARTED");
  assert.equal(
    transition(INITIAL_SNAPSHOT, { kind: "stop" }, cfg, "web", T0).rejected,
    "NOT_RUNNING",
  );
});

Deno.test("transition() resets the retry count when a FATAL process is started by hand", () => {
  let snap =
    transition(INITIAL_SNAPSHOT, { kind: "start" }, program({ startretries: 0 }), "web", T0).next;
  snap =
    transition(snap, { kind: "spawnFailed", reason: "x" }, program({ startretries: 0 }), "web", T0)
      .next;
  assert.equal(snap.state, "FATAL");
  const r = transition(snap, { kind: "start" }, cfg, "web", T0 + 10);
  assert.equal(r.next.state, "STARTING");
  assert.equal(r.next.backoff, 0);
});

Deno.test("transition() ignores exits and timers from an older generation", () => {
  const snap = started();
  const stale = transition(snap, exited(snap.generation - 1, 1), cfg, "web", T0 + 10);
  assert.equal(stale.next, snap);
  const staleTimer = transition(
    snap,
    { kind: "timer", timer: "started", generation: snap.generation - 1 },
    cfg,
    "web",
    T0 + 2000,
  );
  assert.equal(staleTimer.next.state, "STARTING");
});

Deno.test("transition() restarts a young process killed from outside at once", () => {
  const c = program({ starttime: 0, autorestart: "unexpected" });
  const snap = started(c);
  const r = transition(snap, exited(snap.generation, null, "SIGKILL"), c, "web", T0 + 10);
  assert.equal(r.next.state, "STARTING");
  assert.ok(r.effects.some((e) => e.kind === "spawn"));
});
