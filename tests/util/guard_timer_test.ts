import assert from "node:assert/strict";
import { FIRST_STEP_MS, setGuardTimer, type TimerFunctions } from "../../src/util/guard_timer.ts";
import { MAX_TIMER_MS } from "../../src/util/clock.ts";
import { FakeClock } from "../_helpers/fake_process.ts";

/** One armed timer, its deadline from the test's start. */
interface Armed {
  readonly at: number;
  readonly cancel: () => void;
  unref: boolean;
}

/**
 * Timers on a {@link FakeClock} that remember every deadline ever armed,
 * like Deno's lists: a cleared timer's deadline still counts as a wake-up.
 */
class RecordingTimers implements TimerFunctions {
  readonly #clock = new FakeClock();
  readonly #start = this.#clock.now();
  readonly armed: Armed[] = [];

  /** Milliseconds since the test started. */
  get time(): number {
    return this.#clock.now() - this.#start;
  }

  set(fn: () => void, ms: number): Armed {
    const at = this.#clock.now() + ms;
    const armed = { at: at - this.#start, cancel: this.#clock.schedule(at, fn), unref: false };
    this.armed.push(armed);
    return armed;
  }

  clear(id: unknown): void {
    (id as Armed).cancel();
  }

  unref(id: unknown): void {
    (id as Armed).unref = true;
  }

  /** The latest deadline ever armed: when the event loop last wakes for these timers. */
  get lastWake(): number {
    return Math.max(...this.armed.map((t) => t.at));
  }

  advance(ms: number): void {
    this.#clock.advance(ms);
  }
}

Deno.test("a guard cancelled within the first step leaves no wake-up after it", () => {
  const timers = new RecordingTimers();
  let fired = false;
  const cancel = setGuardTimer(() => fired = true, 30_000, {}, timers);
  timers.advance(5);
  cancel();
  timers.advance(60_000);
  assert.equal(fired, false);
  assert.equal(
    timers.lastWake,
    FIRST_STEP_MS,
    "the loop wakes at 100 ms at the latest, not at 30 s",
  );
});

Deno.test("a guard left alone fires its whole delay after it was armed, not before", () => {
  const timers = new RecordingTimers();
  let firedAt: number | null = null;
  setGuardTimer(() => firedAt = timers.time, 30_000, {}, timers);
  timers.advance(29_999);
  assert.equal(firedAt, null);
  timers.advance(1);
  assert.equal(firedAt, 30_000);
});

Deno.test("a guard cancelled in its second step never fires", () => {
  const timers = new RecordingTimers();
  let fired = false;
  const cancel = setGuardTimer(() => fired = true, 10_000, {}, timers);
  timers.advance(5_000);
  cancel();
  timers.advance(60_000);
  assert.equal(fired, false);
});

Deno.test("a guard no longer than the first step is one timer", () => {
  const timers = new RecordingTimers();
  let fired = false;
  setGuardTimer(() => fired = true, 40, {}, timers);
  assert.equal(timers.armed.length, 1);
  timers.advance(40);
  assert.equal(fired, true);
});

Deno.test("an unref'd guard is unref'd in both steps", () => {
  const timers = new RecordingTimers();
  setGuardTimer(() => {}, 1_000, { unref: true }, timers);
  timers.advance(FIRST_STEP_MS);
  assert.equal(timers.armed.length, 2);
  assert.ok(timers.armed.every((t) => t.unref));
});

Deno.test("a guard past the timer range is held at it, not fired at once", () => {
  const timers = new RecordingTimers();
  let fired = false;
  // An email alert's limit is its timeout × 3: 800,000 s would overflow setTimeout.
  setGuardTimer(() => fired = true, 800_000 * 3000, {}, timers);
  timers.advance(FIRST_STEP_MS);
  assert.equal(timers.armed[1]!.at, MAX_TIMER_MS, "the second step ends at the range's end");
  timers.advance(MAX_TIMER_MS - FIRST_STEP_MS - 1);
  assert.equal(fired, false);
  timers.advance(1);
  assert.equal(fired, true);
});

Deno.test("a guard of exactly the first step is one timer, and a ref'd one stays ref'd", () => {
  const timers = new RecordingTimers();
  setGuardTimer(() => {}, FIRST_STEP_MS, {}, timers);
  setGuardTimer(() => {}, 5_000, {}, timers);
  timers.advance(FIRST_STEP_MS);
  assert.equal(timers.armed.length, 3, "one for the first guard, two steps for the second");
  assert.ok(timers.armed.every((t) => !t.unref));
});
