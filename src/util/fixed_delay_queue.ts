/**
 * Deadlines that are all the same delay after they were added, under one
 * timer: a stop of hundreds of instances would otherwise arm and clear a
 * timer (a node `Timeout` and a slot in Deno's heap) per instance. With one
 * delay for all, insertion order is deadline order, so the queue is a Set.
 *
 * @module
 */

import { setGuardTimer } from "./guard_timer.ts";

/**
 * The timer functions the queue runs on. By default the real ones on a
 * monotonic clock (a drain's limit must not stretch when the wall clock is
 * set back). A runner's queue reads its injected Clock instead (epoch ms),
 * so that tests drive it: a step of the wall clock then stretches or
 * shortens the waits under way by as much.
 */
export interface QueueTimers {
  /** Milliseconds. */
  now(): number;
  /** Runs `fn` in `ms`; returns its cancel. */
  arm(fn: () => void, ms: number): () => void;
}

/**
 * Guard timers (guard_timer.ts) on the monotonic clock: a queue's entries
 * are mostly deleted long before they expire, and its timer with them.
 * `unref`: an armed timer does not keep the process alive by itself.
 */
export function monotonicTimers(options: { unref: boolean } = { unref: false }): QueueTimers {
  return {
    now: () => performance.now(),
    arm: (fn, ms) => setGuardTimer(fn, ms, options),
  };
}

const REAL_TIMERS = monotonicTimers();

/** One waiting entry: what {@link FixedDelayQueue.add} returns, for `delete`. */
export interface QueuedDeadline {
  readonly at: number;
  readonly expire: () => void;
}

/** Runs each entry's `expire` `delayMs` after it was added, unless deleted first. */
export class FixedDelayQueue {
  readonly #delayMs: number;
  readonly #timers: QueueTimers;
  readonly #waiting = new Set<QueuedDeadline>();
  /** The one timer's cancel, while it is armed. */
  #timer: (() => void) | null = null;

  constructor(delayMs: number, timers: QueueTimers = REAL_TIMERS) {
    this.#delayMs = delayMs;
    this.#timers = timers;
  }

  add(expire: () => void): QueuedDeadline {
    const entry = { at: this.#timers.now() + this.#delayMs, expire };
    this.#waiting.add(entry);
    this.#timer ??= this.#timers.arm(() => this.#fire(), this.#delayMs);
    return entry;
  }

  delete(entry: QueuedDeadline): void {
    this.#waiting.delete(entry);
    // Nothing left: no wake-up for nothing (an idle daemon does no work).
    if (this.#waiting.size === 0 && this.#timer !== null) {
      this.#timer();
      this.#timer = null;
    }
  }

  #fire(): void {
    this.#timer = null;
    const now = this.#timers.now();
    for (const entry of this.#waiting) {
      if (entry.at > now) break;
      this.#waiting.delete(entry);
      try {
        entry.expire();
      } catch (error) {
        // The entries behind it still expire; the error is still reported.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    // An expire() that added an entry armed the timer already.
    const next = this.#waiting.values().next().value;
    if (next !== undefined && this.#timer === null) {
      this.#timer = this.#timers.arm(
        () => this.#fire(),
        Math.max(0, next.at - this.#timers.now()),
      );
    }
  }
}
