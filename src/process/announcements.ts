/**
 * Which state changes a transition announces (to `onChange`: the event
 * log, `/v1/events`, listeners, alerts). STARTING is held back until its
 * pid is known (the spawn that follows it), so watchers see which process
 * is starting; a spawn failure announces it without one. Pure.
 *
 * @module
 */

import type { ProcessState } from "./state.ts";
import type { ProcessSnapshot } from "./snapshot.ts";

/** One state change as announced. */
export interface Announcement {
  readonly from: ProcessState;
  readonly to: ProcessState;
  readonly pid: number | null;
}

/**
 * The changes to announce for `before` → `next`, given `held`: the state a
 * STARTING not yet announced came from (null: none). Returns what is held
 * back afterwards.
 */
export function announcements(
  held: ProcessState | null,
  before: ProcessSnapshot,
  next: ProcessSnapshot,
): { announce: Announcement[]; held: ProcessState | null } {
  const announce: Announcement[] = [];
  if (held !== null && (next.pid !== null || next.state !== "STARTING")) {
    announce.push({ from: held, to: "STARTING", pid: next.pid });
    held = null;
  }
  if (before.state === next.state) return { announce, held };
  if (next.state === "STARTING" && next.pid === null) return { announce, held: before.state };
  announce.push({ from: before.state, to: next.state, pid: next.pid });
  return { announce, held };
}
