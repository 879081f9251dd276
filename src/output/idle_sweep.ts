/**
 * Idle log files give their descriptor back: a regular file nobody wrote
 * to for a second or two is closed, and reopened (append) by its next
 * write. Most programs are quiet most of the time, and two held log files
 * per instance would double what a thousand instances cost in descriptors
 * (issue 11: at most 3 per instance). One sweep serves every open file,
 * and runs only while some file is open: an idle daemon keeps no timer.
 *
 * @module
 */

/** How often idle files are looked at: one unwritten since the last look is closed. */
export const IDLE_CLOSE_MS = 1000;

/** A file under the sweep. */
export interface IdleCandidate {
  /** Written since the sweep last looked; the sweep clears it. */
  touched: boolean;
  /** Gives the descriptor back (the next write reopens the path). */
  closeIdle(): void;
}

const watched = new Set<IdleCandidate>();
let sweeper: ReturnType<typeof setInterval> | null = null;

/** Puts an open file under the sweep (once). */
export function watchIdle(candidate: IdleCandidate): void {
  if (watched.has(candidate)) return;
  watched.add(candidate);
  if (sweeper === null) {
    sweeper = setInterval(sweep, IDLE_CLOSE_MS);
    Deno.unrefTimer(sweeper);
  }
}

/** Takes a file out of the sweep (closed, or closed for being idle). */
export function unwatchIdle(candidate: IdleCandidate): void {
  watched.delete(candidate);
  if (watched.size === 0 && sweeper !== null) {
    clearInterval(sweeper);
    sweeper = null;
  }
}

function sweep(): void {
  for (const candidate of watched) {
    if (candidate.touched) {
      candidate.touched = false;
      continue;
    }
    candidate.closeIdle();
    unwatchIdle(candidate);
  }
}
