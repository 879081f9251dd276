import assert from "node:assert/strict";
import { TurnPacer } from "../../src/util/turn_pacer.ts";

/** A hand-driven event loop: time moves only when a job says so, turns end only when told. */
class FakeTurns {
  now = 0;
  #next: (() => void)[] = [];
  runtime = {
    now: () => this.now,
    nextTurn: (fn: () => void) => void this.#next.push(fn),
  };
  /** Ends the current turn: runs what was deferred to the next one. */
  turn(): void {
    const due = this.#next;
    this.#next = [];
    for (const fn of due) fn();
  }
  /** Names of the jobs run so far, in order. */
  ran: string[] = [];
  /** A job that records its name and takes `costMs` of the turn. */
  job(name: string, costMs = 0): () => void {
    return () => {
      this.ran.push(name);
      this.now += costMs;
    };
  }
}

function setup() {
  const turns = new FakeTurns();
  return { turns, pacer: new TurnPacer(10, turns.runtime), ran: turns.ran };
}

Deno.test("pacer: jobs run at once while the turn's slice lasts", () => {
  const { turns, pacer, ran } = setup();
  for (const name of ["a", "b", "c", "d", "e"]) pacer.run(turns.job(name));
  assert.deepEqual(ran, ["a", "b", "c", "d", "e"]);
  assert.equal(pacer.waiting, 0);
});

Deno.test("pacer: once a turn spent its slice, later jobs wait for the next turn, in order", () => {
  const { turns, pacer, ran } = setup();
  // Each job is a 6 ms spawn: two fit in a 10 ms slice (the second starts at 6 ms).
  for (const name of ["a", "b", "c", "d", "e"]) pacer.run(turns.job(name, 6));
  assert.deepEqual(ran, ["a", "b"]);
  assert.equal(pacer.waiting, 3);
  turns.turn();
  assert.deepEqual(ran, ["a", "b", "c", "d"]);
  turns.turn();
  assert.deepEqual(ran, ["a", "b", "c", "d", "e"]);
  assert.equal(pacer.waiting, 0);
});

Deno.test("pacer: a job longer than the slice still runs, one per turn", () => {
  const { turns, pacer, ran } = setup();
  for (const name of ["a", "b", "c"]) pacer.run(turns.job(name, 70));
  assert.deepEqual(ran, ["a"]);
  turns.turn();
  assert.deepEqual(ran, ["a", "b"]);
  turns.turn();
  assert.deepEqual(ran, ["a", "b", "c"]);
});

Deno.test("pacer: a new job never overtakes one already waiting", () => {
  const { turns, pacer, ran } = setup();
  for (const name of ["a", "b", "c"]) pacer.run(turns.job(name, 20));
  turns.turn();
  assert.deepEqual(ran, ["a", "b"]);
  // Still in the turn that ran "b": "c" waits, and so must "d", though it costs nothing.
  pacer.run(turns.job("d"));
  assert.deepEqual(ran, ["a", "b"]);
  turns.turn();
  assert.deepEqual(ran, ["a", "b", "c"]);
  turns.turn();
  assert.deepEqual(ran, ["a", "b", "c", "d"]);
});

Deno.test("pacer: the slice is per turn, so a quiet next turn runs jobs at once again", () => {
  const { turns, pacer, ran } = setup();
  pacer.run(turns.job("a", 30));
  turns.turn();
  pacer.run(turns.job("b"));
  assert.deepEqual(ran, ["a", "b"]);
  assert.equal(pacer.waiting, 0);
});

Deno.test("pacer: a job that throws does not strand the ones behind it", async () => {
  const { turns, pacer, ran } = setup();
  const errors: unknown[] = [];
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    errors.push(event.error);
  };
  globalThis.addEventListener("error", onError);
  try {
    pacer.run(() => {
      turns.now += 20;
      throw new Error("boom");
    });
    pacer.run(turns.job("b"));
    turns.turn();
    assert.deepEqual(ran, ["b"]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal((errors[0] as Error).message, "boom");
  } finally {
    globalThis.removeEventListener("error", onError);
  }
});

Deno.test("pacer: a lone job (a restart's spawn) runs before the turn's end is armed, and the next turn starts a new slice", () => {
  const { turns, pacer, ran } = setup();
  const armed: number[] = [];
  const nextTurn = turns.runtime.nextTurn;
  turns.runtime.nextTurn = (fn) => {
    armed.push(ran.length);
    nextTurn(fn);
  };
  pacer.run(turns.job("a", 12));
  assert.deepEqual(armed, [1], "the turn's end was armed once, after the job ran");
  pacer.run(turns.job("b"));
  assert.deepEqual(ran, ["a"], "the slice is spent: b waits");
  turns.turn();
  assert.deepEqual(ran, ["a", "b"]);
  pacer.run(turns.job("c"));
  assert.deepEqual(ran, ["a", "b", "c"], "a new turn, a new slice");
});

Deno.test("pacer: runIfIdle runs a job only when run would run it now, and never queues it", () => {
  const { turns, pacer, ran } = setup();
  assert.equal(pacer.runIfIdle(turns.job("a", 6)), true);
  assert.equal(pacer.runIfIdle(turns.job("b", 6)), true);
  // The slice is spent (12 ms of 10): refused, and not kept for later.
  assert.equal(pacer.runIfIdle(turns.job("c")), false);
  pacer.run(turns.job("d"));
  assert.equal(pacer.waiting, 1);
  turns.turn();
  assert.deepEqual(ran, ["a", "b", "d"]);
  // A job waiting for its turn is not overtaken, even with time left.
  pacer.run(turns.job("e", 20));
  pacer.run(turns.job("f"));
  assert.equal(pacer.runIfIdle(turns.job("g")), false);
  turns.turn();
  assert.deepEqual(ran, ["a", "b", "d", "e", "f"]);
});
