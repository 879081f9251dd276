/**
 * The process states, a leaf every layer may import (as supervisor's
 * `states.py`): the state machine, the supervisor, the wire protocol and the
 * adapters all speak them, so they live with the domain, not with the API.
 * This module imports nothing.
 *
 * @module
 */

/**
 * supervisord's process states, spelled as it spells them, plus two of
 * taskmaster's orchestration: WAITING (asked to start, its dependencies are
 * not met yet: a STARTING before the spawn) and BLOCKED (a dependency failed:
 * FATAL, or a `completed_successfully` one exited with an unexpected code).
 */
export const PROCESS_STATES = [
  "STOPPED",
  "STARTING",
  "RUNNING",
  "BACKOFF",
  "STOPPING",
  "EXITED",
  "FATAL",
  "UNKNOWN",
  "WAITING",
  "BLOCKED",
] as const;

/** One of {@link PROCESS_STATES}. */
export type ProcessState = typeof PROCESS_STATES[number];

/**
 * States of an instance that is wanted up: `start` answers "already
 * started", and a reload that changes its spawn options restarts it.
 */
export const RUNNING_STATES: ReadonlySet<ProcessState> = new Set([
  "STARTING",
  "RUNNING",
  "BACKOFF",
  "WAITING",
  "BLOCKED",
]);
