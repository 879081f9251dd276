/**
 * Which alert events a state change is, and when a program flaps. Pure:
 * time comes in as an argument.
 *
 * @module
 */

import type { StateChange } from "../api/protocol.ts";
import type { ProcessSnapshot } from "../process/snapshot.ts";
import type { AlertEventName, FlapConfig } from "./types.ts";

/**
 * The events of one announced change, read with the snapshot as it is at
 * the moment of the change (exit code, signal and `expected` of the exit
 * that caused it). An exit that restarts at once is announced as
 * RUNNING -> STARTING: it is an exit all the same.
 */
export function eventsOfChange(change: StateChange, snap: ProcessSnapshot): AlertEventName[] {
  const { from, to } = change;
  const events: AlertEventName[] = [];
  if (to === "RUNNING") events.push("started");
  const leftRunning = from === "RUNNING" && (to === "EXITED" || to === "STARTING");
  const failedStart = from === "STARTING" &&
    (to === "BACKOFF" || to === "FATAL" || to === "EXITED") &&
    snap.spawnerr === null;
  if (leftRunning || failedStart) {
    events.push(snap.expected === true && snap.signal === null ? "exited" : "crashed");
  }
  if (to === "BACKOFF") events.push("backoff");
  if (to === "FATAL") events.push("fatal");
  if (to === "STOPPED") events.push("stopped");
  return events;
}

/** A restart the supervisor did by itself (not a user's start after a stop). */
export function isAutomaticRestart(change: StateChange): boolean {
  return change.to === "STARTING" &&
    (change.from === "RUNNING" || change.from === "EXITED" || change.from === "BACKOFF");
}

/** Counts automatic restarts per instance in a sliding window. */
export class FlapTracker {
  #restarts = new Map<string, number[]>();
  #flapping = new Set<string>();

  /**
   * Notes one restart of `instance` at `now`; true when it has just become
   * flapping (more than `flap.restarts` in `flap.within` seconds). It is
   * reported again only after its rate has fallen back under the limit.
   */
  restarted(instance: string, now: number, flap: FlapConfig): boolean {
    const since = now - flap.within * 1000;
    const times = (this.#restarts.get(instance) ?? []).filter((t) => t > since);
    times.push(now);
    this.#restarts.set(instance, times);
    if (times.length <= flap.restarts) {
      this.#flapping.delete(instance);
      return false;
    }
    if (this.#flapping.has(instance)) return false;
    this.#flapping.add(instance);
    return true;
  }

  /** Forgets an instance (removed by a reload). */
  forget(instance: string): void {
    this.#restarts.delete(instance);
    this.#flapping.delete(instance);
  }
}
