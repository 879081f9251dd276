/**
 * The edges several events of the state machine share: staying put,
 * spawning again (-> STARTING), a start that held (STARTING -> RUNNING) and
 * a stop that is over (-> STOPPED, or STARTING again after a health
 * restart). Pure, like transition.ts, which they are part of.
 *
 * @module
 */

import type { ProgramConfig } from "../config/types.ts";
import type { ProcessEffect, ProcessSnapshot, TransitionResult } from "./snapshot.ts";

/** No change, no effect. */
export function stay(snap: ProcessSnapshot): TransitionResult {
  return { next: snap, effects: [] };
}

/** -> STARTING, a new generation: `before` runs first, then the spawn. */
export function spawnAgain(snap: ProcessSnapshot, before: ProcessEffect[]): TransitionResult {
  return {
    next: {
      ...snap,
      state: "STARTING",
      generation: snap.generation + 1,
      spawnerr: null,
      restartReason: null,
    },
    effects: [...before, { kind: "spawn" }],
  };
}

// STARTING -> RUNNING: the process stayed up `starttime` seconds; the retry count resets.
export function running(
  snap: ProcessSnapshot,
  cfg: ProgramConfig,
  name: string,
  effects: ProcessEffect[],
): TransitionResult {
  effects.push({
    kind: "log",
    level: "info",
    message:
      `success: ${name} entered RUNNING state, process has stayed up for > than ${cfg.starttime} seconds (starttime)`,
  });
  return { next: { ...snap, state: "RUNNING", backoff: 0, tooQuick: false }, effects };
}

/** -> STOPPED (from STOPPING, BACKOFF, WAITING/BLOCKED or a pending restart). */
export function stopped(
  snap: ProcessSnapshot,
  name: string,
  now: number,
  effects: ProcessEffect[],
): TransitionResult {
  // From BACKOFF or a pending restart nothing was running: say so, not the old exit.
  const how = snap.state === "STOPPING"
    ? describeExit(snap.exitcode, snap.signal)
    : `was ${snap.state}, nothing to signal`;
  const done: ProcessEffect[] = [...effects, { kind: "cancel", timer: "kill" }, {
    kind: "log",
    level: "info",
    message: `stopped: ${name} (${how})`,
  }];
  if (snap.state === "STOPPING" && snap.restartReason !== null) {
    // A health restart: the stop is done, start again (counted like any restart).
    return spawnAgain(
      { ...snap, pid: null, pgid: null, stoppedAt: now, restarts: snap.restarts + 1 },
      done,
    );
  }
  return {
    next: { ...snap, state: "STOPPED", pid: null, pgid: null, stoppedAt: now },
    effects: done,
  };
}

/** `exit status 1` or `terminated by SIGKILL`, as supervisord words it. */
export function describeExit(code: number | null, signal: string | null): string {
  if (signal !== null) return `terminated by ${signal}`;
  if (code !== null) return `exit status ${code}`;
  return "not started";
}
