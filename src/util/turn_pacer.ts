/**
 * Bounds how much reactive work (handling an exit, a backoff timer) one turn
 * of the event loop may do, so that turn ends and the loop polls the kernel.
 *
 * Why: handling an exit usually restarts the program, and a spawn is a
 * synchronous fork of the whole daemon (tens of ms when the daemon is large
 * or the machine loaded). Exits collected in one turn were each handled in
 * the same chain of promise callbacks, so 100 crash-looping programs made a
 * turn of seconds. Meanwhile nothing collected the next exits (Deno reaps
 * its children only between turns: they stayed zombies for 10 s and more),
 * and no request was answered. With the pacer a turn spends about
 * `sliceMs` on such work, then yields; the rest waits in order (first
 * come, first served), already reaped.
 *
 * @module
 */

/** How long one turn may spend on paced work before it yields. */
export const PACED_SLICE_MS = 10;

/** Runs jobs now while the current turn's slice lasts, later otherwise. */
export interface Pacer {
  run(job: () => void): void;
  /** Runs `job` now if {@link run} would, else not at all; whether it ran. */
  runIfIdle?(job: () => void): boolean;
}

/** What the pacer needs from the runtime; injected so the rule is tested without real turns. */
export interface PacerRuntime {
  /** A monotonic clock in ms. */
  now(): number;
  /** Runs `fn` in a later turn of the event loop, after I/O has been polled. */
  nextTurn(fn: () => void): void;
}

const realRuntime: PacerRuntime = {
  now: () => performance.now(),
  nextTurn: (fn) => void setTimeout(fn, 0),
};

/** Paces jobs in slices of `sliceMs` per turn of the event loop. */
export class TurnPacer implements Pacer {
  #queue: (() => void)[] = [];
  /** When this turn's paced work began; null when none ran this turn. */
  #sliceStart: number | null = null;
  #turnEndPending = false;
  #sliceMs: number;
  #runtime: PacerRuntime;

  constructor(sliceMs = PACED_SLICE_MS, runtime: PacerRuntime = realRuntime) {
    this.#sliceMs = sliceMs;
    this.#runtime = runtime;
  }

  /** Jobs waiting for a later turn. */
  get waiting(): number {
    return this.#queue.length;
  }

  run(job: () => void): void {
    if (this.runIfIdle(job)) return;
    this.#queue.push(job);
    this.#awaitTurnEnd();
  }

  runIfIdle(job: () => void): boolean {
    // Order is kept: a job never overtakes one already waiting.
    if (this.#queue.length > 0 || !this.#sliceLeft()) return false;
    this.#runOne(job);
    // After the job, not before: the turn's end is a timer (~0.1 ms), and
    // the job is mostly a restart's spawn, which it would delay.
    this.#awaitTurnEnd();
    return true;
  }

  /** Whether this turn's slice has time left; the first ask of a turn starts its slice. */
  #sliceLeft(): boolean {
    if (this.#sliceStart === null) {
      this.#sliceStart = this.#runtime.now();
      return true;
    }
    return this.#runtime.now() - this.#sliceStart < this.#sliceMs;
  }

  #awaitTurnEnd(): void {
    if (this.#turnEndPending) return;
    this.#turnEndPending = true;
    this.#runtime.nextTurn(() => this.#newTurn());
  }

  // A new turn: a new slice, spent on the waiting jobs (at least one, however long it takes).
  #newTurn(): void {
    this.#turnEndPending = false;
    this.#sliceStart = null;
    if (this.#queue.length === 0) return;
    this.#sliceLeft();
    do {
      this.#runOne(this.#queue.shift()!);
    } while (this.#queue.length > 0 && this.#sliceLeft());
    this.#awaitTurnEnd();
  }

  #runOne(job: () => void): void {
    try {
      job();
    } catch (error) {
      // A failing job must not strand the ones behind it; the error is still reported.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
