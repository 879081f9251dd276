/**
 * The vocabulary of the process state machine: the snapshot of one
 * instance, the events that move it and the effects a transition asks the
 * runner to perform. Kept apart from the transition rules so that readers
 * of snapshots (status, alerts, `why`) depend on the data, not on the rules.
 *
 * @module
 */

import type { ProcessState } from "./state.ts";

/** The mutable facts about one process instance, replaced on every event. */
export interface ProcessSnapshot {
  readonly state: ProcessState;
  /** The live leader's pid, or null. */
  readonly pid: number | null;
  /** Process group still to be cleaned up after the leader died during a stop. */
  readonly pgid: number | null;
  /** Incremented on every spawn, so timers and exits of an older child are ignored. */
  readonly generation: number;
  /** Epoch ms of the last spawn attempt. */
  readonly startedAt: number | null;
  /** Epoch ms of the last exit or stop. */
  readonly stoppedAt: number | null;
  /** Failed starts in a row (supervisord's `backoff`). */
  readonly backoff: number;
  readonly exitcode: number | null;
  readonly signal: string | null;
  /** Why the last spawn failed, if it did. */
  readonly spawnerr: string | null;
  /** Whether the last exit was a failed start (exited before `starttime`). */
  readonly tooQuick: boolean;
  /** Whether the last exit's code was in `exitcodes`. */
  readonly expected: boolean | null;
  /** A restart scheduled after a RUNNING process exited too soon after spawning. */
  readonly restartPending: boolean;
  /** WAITING/BLOCKED: the unmet dependencies (`db (healthy)`); else null. */
  readonly waitingFor: string | null;
  /** BLOCKED: the failed dependency (`db is FATAL`); else null. */
  readonly blockedBy: string | null;
  /**
   * Set while a health failure (liveness, max_memory) stops the process: the
   * reason, and the stop ends in a restart instead of STOPPED.
   */
  readonly restartReason: string | null;
  /** Why taskmaster last restarted it for its health; cleared by a user start or an exit. */
  readonly lastHealthRestart: string | null;
  /** Restarts taskmaster made by itself (after an exit or a health failure). */
  readonly restarts: number;
}

/** The snapshot of a process that never ran. */
export const INITIAL_SNAPSHOT: ProcessSnapshot = {
  state: "STOPPED",
  pid: null,
  pgid: null,
  generation: 0,
  startedAt: null,
  stoppedAt: null,
  backoff: 0,
  exitcode: null,
  signal: null,
  spawnerr: null,
  tooQuick: false,
  expected: null,
  restartPending: false,
  waitingFor: null,
  blockedBy: null,
  restartReason: null,
  lastHealthRestart: null,
  restarts: 0,
};

/** What can happen to a process. */
export type ProcessEvent =
  /** A user `start`, or autostart at launch/reload. */
  | { readonly kind: "start" }
  /** A user `stop`, a reload removing it, or shutdown. */
  | { readonly kind: "stop" }
  | { readonly kind: "spawned"; readonly pid: number }
  | { readonly kind: "spawnFailed"; readonly reason: string }
  /** The leader exited; `groupAlive` tells whether other members of its group remain. */
  | {
    readonly kind: "exited";
    readonly generation: number;
    readonly code: number | null;
    readonly signal: string | null;
    readonly groupAlive: boolean;
  }
  /** Every member of the group being stopped is gone. */
  | { readonly kind: "groupGone"; readonly generation: number }
  | { readonly kind: "timer"; readonly timer: TimerName; readonly generation: number }
  /**
   * Asked to start while dependencies are unmet: WAITING, or BLOCKED when
   * `blockedBy` names a failed dependency.
   */
  | { readonly kind: "hold"; readonly waitingFor: string; readonly blockedBy: string | null }
  /** WAITING/BLOCKED -> STARTING: the dependencies are met. */
  | { readonly kind: "release" }
  /** A failed health check (liveness, max_memory) of the live process: restart it. */
  | { readonly kind: "unhealthy"; readonly generation: number; readonly reason: string };

/** The timers a process uses; at most one of each is pending. */
export type TimerName = "started" | "retry" | "kill" | "restart";

/** What the runner must do after a transition, in order. */
export type ProcessEffect =
  | { readonly kind: "spawn" }
  | { readonly kind: "signalGroup"; readonly signal: Deno.Signal }
  | { readonly kind: "schedule"; readonly timer: TimerName; readonly at: number }
  | { readonly kind: "cancel"; readonly timer: TimerName }
  /** Poll until the process group is empty, then feed `groupGone`. */
  | { readonly kind: "watchGroup" }
  | {
    readonly kind: "log";
    readonly level: "info" | "warning" | "error";
    readonly message: string;
  };

/** The result of {@link transition}. `rejected` explains an event that is illegal in this state. */
export interface TransitionResult {
  readonly next: ProcessSnapshot;
  readonly effects: readonly ProcessEffect[];
  readonly rejected?: "ALREADY_STARTED" | "NOT_RUNNING";
}
