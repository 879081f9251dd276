/**
 * The process state machine, as a pure function: given a snapshot, an event
 * and the time, it returns the next snapshot and the effects to perform. It
 * never touches the OS, timers or the clock; {@link ProcessRunner} executes
 * the effects. Each branch names the edge it implements (SEMANTICS.md B2).
 * Its types (snapshot, events, effects) are in snapshot.ts; the edges
 * several events share in edges.ts, what an exit leads to in exit_edges.ts.
 *
 * @module
 */

import { RUNNING_STATES } from "./state.ts";
import type { ProgramConfig } from "../config/types.ts";
import type {
  ProcessEffect,
  ProcessEvent,
  ProcessSnapshot,
  TimerName,
  TransitionResult,
} from "./snapshot.ts";
import { running, spawnAgain, stay, stopped } from "./edges.ts";
import { failedStart, onExited } from "./exit_edges.ts";

/**
 * Applies one event. `name` is the instance name used in log messages,
 * `now` the epoch ms at which the event happened (for `exited`, the time the
 * exit was observed, which is what decides a failed start — never a later tick).
 */
export function transition(
  snap: ProcessSnapshot,
  event: ProcessEvent,
  cfg: ProgramConfig,
  name: string,
  now: number,
): TransitionResult {
  switch (event.kind) {
    case "start":
      return onStart(snap);
    case "stop":
      return onStop(snap, cfg, name, now);
    case "spawned":
      return onSpawned(snap, event.pid, cfg, name, now);
    case "spawnFailed":
      return failedStart({ ...snap, spawnerr: event.reason, pid: null }, cfg, name, now, [
        { kind: "log", level: "info", message: `spawnerr: ${event.reason}` },
      ]);
    case "exited":
      if (event.generation !== snap.generation) return stay(snap);
      return onExited(snap, event, cfg, name, now);
    case "groupGone":
      if (event.generation !== snap.generation || snap.state !== "STOPPING" || snap.pid !== null) {
        return stay(snap);
      }
      return stopped(snap, name, now, []);
    case "timer":
      if (event.generation !== snap.generation) return stay(snap);
      return onTimer(snap, event.timer, cfg, name);
    case "hold":
      return onHold(snap, event.waitingFor, event.blockedBy, name);
    case "release":
      if (snap.state !== "WAITING" && snap.state !== "BLOCKED") return stay(snap);
      return spawnAgain({ ...snap, waitingFor: null, blockedBy: null }, [
        { kind: "log", level: "info", message: `dependencies met: ${name}` },
      ]);
    case "unhealthy":
      if (event.generation !== snap.generation) return stay(snap);
      return onUnhealthy(snap, event.reason, cfg, name, now);
  }
}

// STOPPED/EXITED/FATAL/BACKOFF -> WAITING/BLOCKED, and WAITING <-> BLOCKED.
function onHold(
  snap: ProcessSnapshot,
  waitingFor: string,
  blockedBy: string | null,
  name: string,
): TransitionResult {
  const held = snap.state === "WAITING" || snap.state === "BLOCKED";
  if (!held && (RUNNING_STATES.has(snap.state) || snap.state === "STOPPING")) {
    return { next: snap, effects: [], rejected: "ALREADY_STARTED" };
  }
  const state = blockedBy === null ? "WAITING" : "BLOCKED";
  if (snap.state === state && snap.waitingFor === waitingFor && snap.blockedBy === blockedBy) {
    return stay(snap);
  }
  return {
    next: { ...snap, state, waitingFor, blockedBy, backoff: 0, restartPending: false },
    effects: [
      { kind: "cancel", timer: "retry" },
      { kind: "cancel", timer: "restart" },
      {
        kind: "log",
        level: blockedBy === null ? "info" : "warning",
        message: blockedBy === null
          ? `waiting: ${name} waiting for ${waitingFor}`
          : `blocked: ${name} (${blockedBy})`,
      },
    ],
  };
}

// RUNNING -> STOPPING, then a restart: the normal restart path, with the reason.
function onUnhealthy(
  snap: ProcessSnapshot,
  reason: string,
  cfg: ProgramConfig,
  name: string,
  now: number,
): TransitionResult {
  // Only a started process is restarted for its health; failures while
  // STARTING wait until it is RUNNING (a crash then is a failed start anyway).
  if (snap.state !== "RUNNING" || snap.pid === null) return stay(snap);
  const stop = onStop(snap, cfg, name, now);
  return {
    next: { ...stop.next, restartReason: reason, lastHealthRestart: reason },
    effects: [
      { kind: "log", level: "warning", message: `unhealthy: ${name} (${reason}), restarting` },
      ...stop.effects,
    ],
  };
}

// STOPPED/EXITED/FATAL -> STARTING: a manual start resets the retry count.
function onStart(snap: ProcessSnapshot): TransitionResult {
  if (RUNNING_STATES.has(snap.state)) {
    return { next: snap, effects: [], rejected: "ALREADY_STARTED" };
  }
  if (snap.state === "STOPPING") return { next: snap, effects: [], rejected: "NOT_RUNNING" };
  return spawnAgain({ ...snap, backoff: 0, restartPending: false, lastHealthRestart: null }, [
    { kind: "cancel", timer: "restart" },
  ]);
}

function onSpawned(
  snap: ProcessSnapshot,
  pid: number,
  cfg: ProgramConfig,
  name: string,
  now: number,
): TransitionResult {
  const next = { ...snap, pid, pgid: pid, startedAt: now, exitcode: null, signal: null };
  const effects: ProcessEffect[] = [
    { kind: "log", level: "info", message: `spawned: '${name}' with pid ${pid}` },
  ];
  // starttime 0: the start succeeds as soon as the child exists.
  if (cfg.starttime <= 0) return running(next, cfg, name, effects);
  effects.push({ kind: "schedule", timer: "started", at: now + cfg.starttime * 1000 });
  return { next, effects };
}

function onStop(
  snap: ProcessSnapshot,
  cfg: ProgramConfig,
  name: string,
  now: number,
): TransitionResult {
  switch (snap.state) {
    case "STARTING":
    case "RUNNING": {
      // RUNNING/STARTING -> STOPPING: stopsignal to the whole group, SIGKILL after stoptime.
      const effects: ProcessEffect[] = [
        { kind: "cancel", timer: "started" },
        {
          kind: "log",
          level: "info",
          message: `stopping: '${name}' (pid ${snap.pid}) with ${cfg.stopsignal}`,
        },
      ];
      if (snap.pid === null) {
        // The spawn is still in flight: the stop applies once the pid is known.
        return { next: { ...snap, state: "STOPPING" }, effects };
      }
      effects.push({ kind: "signalGroup", signal: cfg.stopsignal });
      effects.push({ kind: "schedule", timer: "kill", at: now + cfg.stoptime * 1000 });
      return { next: { ...snap, state: "STOPPING" }, effects };
    }
    case "BACKOFF":
      // BACKOFF -> STOPPED: nothing is running; drop the pending retry.
      return stopped(snap, name, now, [{ kind: "cancel", timer: "retry" }]);
    case "WAITING":
    case "BLOCKED":
      // WAITING/BLOCKED -> STOPPED: it never spawned; forget what it waited for.
      return stopped({ ...snap, waitingFor: null, blockedBy: null }, name, now, []);
    case "EXITED":
      if (snap.restartPending) {
        return stopped({ ...snap, restartPending: false }, name, now, [
          { kind: "cancel", timer: "restart" },
        ]);
      }
      return { next: snap, effects: [], rejected: "NOT_RUNNING" };
    case "STOPPING":
      // A user stop during a health restart: it stays stopped.
      return snap.restartReason === null ? stay(snap) : {
        next: { ...snap, restartReason: null, lastHealthRestart: null },
        effects: [],
      };
    default:
      return { next: snap, effects: [], rejected: "NOT_RUNNING" };
  }
}

function onTimer(
  snap: ProcessSnapshot,
  timer: TimerName,
  cfg: ProgramConfig,
  name: string,
): TransitionResult {
  switch (timer) {
    case "started":
      return snap.state === "STARTING" && snap.pid !== null
        ? running(snap, cfg, name, [])
        : stay(snap);
    case "retry":
      // BACKOFF -> STARTING.
      return snap.state === "BACKOFF" ? spawnAgain(snap, []) : stay(snap);
    case "restart":
      return snap.state === "EXITED" && snap.restartPending
        ? spawnAgain({ ...snap, restartPending: false }, [])
        : stay(snap);
    case "kill":
      // STOPPING -> STOPPING: stoptime passed, SIGKILL whatever is left of the group.
      if (snap.state !== "STOPPING") return stay(snap);
      return {
        next: snap,
        effects: [
          {
            kind: "log",
            level: "warning",
            message: `killing '${name}' (${
              snap.pid ?? `group ${snap.pgid}`
            }) with SIGKILL after ${cfg.stoptime} s (stoptime)`,
          },
          { kind: "signalGroup", signal: "SIGKILL" },
        ],
      };
  }
}
