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
}

Deno.test("pacer: jobs run at once while the turn's slice lasts", () => {
  const turns = new FakeTurns();
  const pacer = new TurnPacer(10, turns.runtime);
  const ran: number[] = [];
  for (let i = 0; i < 5; i++) pacer.run(() => ran.push(i));
  assert.deepEqual(ran, [0, 1, 2, 3, 4]);
  assert.equal(pacer.waiting, 0);
});

Deno.test("pacer: once a turn spent its slice, later jobs wait for the next turn, in order", () => {
  const turns = new FakeTurns();
  const pacer = new TurnPacer(10, turns.runtime);
  const ran: string[] = [];
  // Each job is a 6 ms spawn: two fit in a 10 ms slice (the second starts at 6 ms).
  const spawn = (name: string) => () => {
    ran.push(name);
    turns.now += 6;
  };
  for (const name of ["a", "b", "c", "d", "e"]) pacer.run(spawn(name));
  assert.deepEqual(ran, ["a", "b"]);
  assert.equal(pacer.waiting, 3);
  turns.turn();
  assert.deepEqual(ran, ["a", "b", "c", "d"]);
  turns.turn();
  assert.deepEqual(ran, ["a", "b", "c", "d", "e"]);
  assert.equal(pacer.waiting, 0);
});

Deno.test("pacer: a job longer than the slice still runs, one per turn", () => {
  const turns = new FakeTurns();
  const pacer = new TurnPacer(10, turns.runtime);
  const ran: string[] = [];
  for (const name of ["a", "b", "c"]) {
    pacer.run(() => {
      ran.push(name);
      turns.now += 70;
    });
  }
  assert.deepEqual(ran, ["a"]);
  turns.turn();
  assert.deepEqual(ran, ["a", "b"]);
  turns.turn();
  assert.deepEqual(ran, ["a", "b", "c"]);
});

Deno.test("pacer: a new job never overtakes one already waiting", () => {
  const turns = new FakeTurns();
  const pacer = new TurnPacer(10, turns.runtime);
  const ran: string[] = [];
  const slow = (name: string) => () => {
    ran.push(name);
    turns.now += 20;
  };
  for (const name of ["a", "b", "c"]) pacer.run(slow(name));
  turns.turn();
  assert.deepEqual(ran, ["a", "b"]);
  // Still in the turn that ran "b": "c" waits, and so must "d", though it costs nothing.
  pacer.run(() => ran.push("d"));
  assert.deepEqual(ran, ["a", "b"]);
  turns.turn();
  assert.deepEqual(ran, ["a", "b", "c"]);
  turns.turn();
  assert.deepEqual(ran, ["a", "b", "c", "d"]);
});

Deno.test("pacer: the slice is per turn, so a quiet next turn runs jobs at once again", () => {
  const turns = new FakeTurns();
  const pacer = new TurnPacer(10, turns.runtime);
  const ran: string[] = [];
  pacer.run(() => {
    ran.push("a");
    turns.now += 30;
  });
  turns.turn();
  pacer.run(() => ran.push("b"));
  assert.deepEqual(ran, ["a", "b"]);
  assert.equal(pacer.waiting, 0);
});

Deno.test("pacer: a job that throws does not strand the ones behind it", async () => {
  const turns = new FakeTurns();
  const pacer = new TurnPacer(10, turns.runtime);
  const ran: string[] = [];
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
    pacer.run(() => ran.push("b"));
    turns.turn();
    assert.deepEqual(ran, ["b"]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal((errors[0] as Error).message, "boom");
  } finally {
    globalThis.removeEventListener("error", onError);
  }
});
