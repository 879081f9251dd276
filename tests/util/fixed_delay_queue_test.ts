import assert from "node:assert/strict";
import { FixedDelayQueue, type QueueTimers } from "../../src/util/fixed_delay_queue.ts";

/** Timers on an injected clock: `advance(ms)` fires what falls due, in order. */
class ManualTimers implements QueueTimers {
  time = 0;
  armed: { at: number; fn: () => void; live: boolean }[] = [];

  now(): number {
    return this.time;
  }

  arm(fn: () => void, ms: number): () => void {
    const timer = { at: this.time + ms, fn, live: true };
    this.armed.push(timer);
    return () => timer.live = false;
  }

  get live(): number {
    return this.armed.filter((t) => t.live).length;
  }

  advance(ms: number): void {
    this.time += ms;
    for (;;) {
      const due = this.armed.find((t) => t.live && t.at <= this.time);
      if (due === undefined) return;
      due.live = false;
      due.fn();
    }
  }
}

Deno.test("each entry expires its delay after it was added, in order, under one timer", () => {
  const timers = new ManualTimers();
  const queue = new FixedDelayQueue(50, timers);
  const expired: string[] = [];
  queue.add(() => expired.push("a"));
  timers.advance(20);
  queue.add(() => expired.push("b"));
  assert.equal(timers.live, 1, "one timer for both");
  timers.advance(29);
  assert.deepEqual(expired, []);
  timers.advance(1);
  assert.deepEqual(expired, ["a"], "a at 50 ms");
  timers.advance(19);
  assert.deepEqual(expired, ["a"]);
  timers.advance(1);
  assert.deepEqual(expired, ["a", "b"], "b at 70 ms, its own deadline");
  assert.equal(timers.live, 0, "nothing armed once empty");
});

Deno.test("a deleted entry never expires, and an empty queue holds no timer", () => {
  const timers = new ManualTimers();
  const queue = new FixedDelayQueue(50, timers);
  const expired: string[] = [];
  const a = queue.add(() => expired.push("a"));
  queue.add(() => expired.push("b"));
  queue.delete(a);
  assert.equal(timers.live, 1);
  timers.advance(50);
  assert.deepEqual(expired, ["b"]);
  const c = queue.add(() => expired.push("c"));
  queue.delete(c);
  assert.equal(timers.live, 0, "the timer is cleared with the last entry");
  timers.advance(100);
  assert.deepEqual(expired, ["b"]);
});

Deno.test("an entry whose expire throws does not keep the next from expiring", async () => {
  const timers = new ManualTimers();
  const queue = new FixedDelayQueue(10, timers);
  const expired: string[] = [];
  queue.add(() => {
    throw new Error("boom");
  });
  queue.add(() => expired.push("after"));
  const reported = new Promise<unknown>((resolve) => {
    const onError = (event: ErrorEvent) => {
      event.preventDefault();
      globalThis.removeEventListener("error", onError);
      resolve(event.error);
    };
    globalThis.addEventListener("error", onError);
  });
  timers.advance(10);
  assert.deepEqual(expired, ["after"]);
  assert.equal((await reported as Error).message, "boom", "the error is still reported");
});
