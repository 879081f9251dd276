/**
 * The exit edges of the state machine: what the exit of a child (or a
 * failed spawn) leads to, by the state it happened in. A stop ends in
 * STOPPED once the group is empty; a start that died before starttime
 * backs off or gives up (FATAL); a running process that exits is EXITED
 * and restarted as autorestart says, never in a hot loop. Pure.
 *
 * @module
 */

import type { ProgramConfig } from "../config/types.ts";
import type { ProcessEffect, ProcessEvent, ProcessSnapshot, TransitionResult } from "./snapshot.ts";
import { describeExit, running, spawnAgain, stay, stopped } from "./edges.ts";

/** Signals that mean the program crashed by itself, rather than was killed from outside. */
const CRASH_SIGNALS: ReadonlySet<string> = new Set([
  "SIGSEGV",
  "SIGABRT",
  "SIGBUS",
  "SIGILL",
  "SIGFPE",
  "SIGSYS",
  "SIGTRAP",
]);

/** The minimum life of a crashing RUNNING process before its restart is immediate. */
export const MIN_RESTART_INTERVAL_MS = 1000;

/** An exit of the current run's child, by the state it happened in. */
export function onExited(
  snap: ProcessSnapshot,
  event: Extract<ProcessEvent, { kind: "exited" }>,
  cfg: ProgramConfig,
  name: string,
  now: number,
): TransitionResult {
  const expected = isExpectedExit(event, cfg);
  const exit = {
    ...snap,
    pid: null,
    exitcode: event.code,
    signal: event.signal,
    expected,
    stoppedAt: now,
  };
  const how = describeExit(event.code, event.signal);
  switch (snap.state) {
    case "STOPPING": {
      // STOPPING -> STOPPED, once nothing of the group is left.
      if (event.groupAlive) {
        return {
          next: { ...exit, pgid: snap.pgid },
          effects: [{ kind: "watchGroup" }],
        };
      }
      return stopped(exit, name, now, []);
    }
    case "STARTING": {
      const upMs = now - (snap.startedAt ?? now);
      if (expected && cfg.autorestart === "never") {
        // A one-shot task (migrations) that succeeded before starttime has
        // completed, not failed to start: `completed_successfully` needs this.
        const done = exitedFromRunning(snap, exit, cfg, name, now, how);
        return {
          next: done.next,
          effects: [{ kind: "cancel", timer: "started" }, ...done.effects],
        };
      }
      if (upMs < cfg.starttime * 1000) {
        // STARTING -> BACKOFF/FATAL: exited before starttime, whatever the code.
        return failedStart({ ...exit, pgid: null }, cfg, name, now, [
          { kind: "cancel", timer: "started" },
          { kind: "log", level: "warning", message: `exited: ${name} (${how}; too quickly)` },
        ]);
      }
      // The starttime timer lost the race with the exit: it had started.
      const promoted = running({ ...snap }, cfg, name, [{ kind: "cancel", timer: "started" }]);
      const after = exitedFromRunning(promoted.next, exit, cfg, name, now, how);
      return { next: after.next, effects: [...promoted.effects, ...after.effects] };
    }
    case "RUNNING":
      return exitedFromRunning(snap, exit, cfg, name, now, how);
    default:
      return stay(snap);
  }
}

// RUNNING -> EXITED, then -> STARTING when autorestart says so.
function exitedFromRunning(
  snap: ProcessSnapshot,
  exit: ProcessSnapshot,
  cfg: ProgramConfig,
  name: string,
  now: number,
  how: string,
): TransitionResult {
  const effects: ProcessEffect[] = [{
    kind: "log",
    level: exit.expected ? "info" : "warning",
    message: `exited: ${name} (${how}; ${exit.expected ? "expected" : "not expected"})`,
  }];
  const next: ProcessSnapshot = {
    ...exit,
    state: "EXITED",
    pgid: null,
    tooQuick: false,
    lastHealthRestart: null,
  };
  const restart = restartOf(snap, { code: exit.exitcode, signal: exit.signal }, cfg, now);
  if (restart === "none") return { next, effects };
  if (restart === "later") {
    return {
      next: { ...next, restartPending: true, restarts: next.restarts + 1 },
      effects: [...effects, { kind: "schedule", timer: "restart", at: earliestRestart(snap, now) }],
    };
  }
  return spawnAgain({ ...next, restarts: next.restarts + 1 }, effects);
}

/**
 * Whether the exit (`code`, `signal`) of a RUNNING child that started at
 * `snap.startedAt` restarts it at once, later, or not at all. Also asked
 * ahead of the exit's report, to start the next child early (instance_child.ts).
 */
export function restartOf(
  snap: ProcessSnapshot,
  exit: { code: number | null; signal: string | null },
  cfg: ProgramConfig,
  now: number,
): "now" | "later" | "none" {
  const restart = cfg.autorestart === "always" ||
    (cfg.autorestart === "unexpected" && !isExpectedExit(exit, cfg));
  if (!restart) return "none";
  // A process that crashes right after starting (starttime 0) would otherwise
  // be respawned in a hot loop; supervisord's 1 s tick caps it the same way.
  // A kill from outside (kill -9) is not a crash loop: it restarts at once.
  const crashed = exit.signal === null || CRASH_SIGNALS.has(exit.signal);
  return crashed && now < earliestRestart(snap, now) ? "later" : "now";
}

/** An exit by itself with one of the program's `exitcodes`. */
function isExpectedExit(
  exit: { code: number | null; signal: string | null },
  cfg: ProgramConfig,
): boolean {
  return exit.signal === null && exit.code !== null && cfg.exitcodes.includes(exit.code);
}

/** The earliest a crash of a child started at `snap.startedAt` is restarted. */
function earliestRestart(snap: ProcessSnapshot, now: number): number {
  return (snap.startedAt ?? now) + MIN_RESTART_INTERVAL_MS;
}

// STARTING -> BACKOFF (retry after 1 s, 2 s, 3 s…) or -> FATAL after 1 + startretries attempts.
export function failedStart(
  snap: ProcessSnapshot,
  cfg: ProgramConfig,
  name: string,
  now: number,
  effects: ProcessEffect[],
): TransitionResult {
  const backoff = snap.backoff + 1;
  if (backoff > cfg.startretries) {
    return {
      next: { ...snap, state: "FATAL", backoff: 0, tooQuick: true, stoppedAt: now },
      effects: [...effects, {
        kind: "log",
        level: "error",
        message: `gave up: ${name} entered FATAL state, too many start retries too quickly`,
      }],
    };
  }
  return {
    next: { ...snap, state: "BACKOFF", backoff, tooQuick: true, stoppedAt: now },
    effects: [
      ...effects,
      { kind: "schedule", timer: "retry", at: now + backoff * 1000 },
      {
        kind: "log",
        level: "info",
        message:
          `backoff: ${name} entered BACKOFF state, retry ${backoff} of ${cfg.startretries} in ${backoff} s`,
      },
    ],
  };
}
