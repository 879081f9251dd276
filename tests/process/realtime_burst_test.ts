import assert from "node:assert/strict";
import { libc } from "../../src/process/libc.ts";
import { realtimeBurst, SCHED, threadPolicy } from "../../src/process/realtime_burst.ts";

// The policy read inside a burst is the kernel's, not a recorded call; each
// test runs on one thread (a worker under --parallel), as the daemon's stop
// runs on its main thread.

/** Whether this thread may be made real-time: asked of the kernel, not guessed from the uid. */
function mayRaise(): boolean {
  const c = libc()!;
  const raised = c.symbols.sched_setscheduler(0, SCHED.FIFO, new Int32Array([1])) === 0;
  if (raised) c.symbols.sched_setscheduler(0, SCHED.OTHER, new Int32Array([0]));
  return raised;
}

/** Whether the effective capabilities hold CAP_SYS_NICE (bit 23). */
function hasSysNice(): boolean {
  const caps = /CapEff:\s+([0-9a-f]+)/.exec(Deno.readTextFileSync("/proc/self/status"))![1]!;
  return (BigInt(`0x${caps}`) >> 23n & 1n) === 1n;
}

const root = mayRaise();

Deno.test("the kernel lets this thread be made real-time exactly when it holds CAP_SYS_NICE", () => {
  // Guards the tests below from passing only through their unprivileged branch.
  assert.equal(root, hasSysNice());
});

/** The calling thread's real-time priority, from /proc (read on this same thread). */
function rtPriority(): number {
  const stat = Deno.readTextFileSync("/proc/thread-self/stat");
  // Fields after the command's closing parenthesis; rt_priority is field 40.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[40 - 3]);
}

Deno.test("a burst runs at SCHED_FIFO (as root) and the thread's own policy comes back", () => {
  const before = threadPolicy();
  assert.equal(before, SCHED.OTHER);
  const inside = realtimeBurst(() => ({ policy: threadPolicy(), priority: rtPriority() }));
  if (root) {
    assert.deepEqual(inside, { policy: SCHED.FIFO | SCHED.RESET_ON_FORK, priority: 1 });
  } else {
    // Not allowed: the burst runs as it is.
    assert.deepEqual(inside, { policy: SCHED.OTHER, priority: 0 });
  }
  assert.equal(threadPolicy(), SCHED.OTHER);
  assert.equal(rtPriority(), 0);
});

Deno.test("a burst that throws still gives the thread its policy back", () => {
  assert.throws(() =>
    realtimeBurst(() => {
      throw new Error("boom");
    }), /boom/);
  assert.equal(threadPolicy(), SCHED.OTHER);
  assert.equal(realtimeBurst(() => 42), 42);
  assert.equal(threadPolicy(), SCHED.OTHER);
});

Deno.test("a thread in SCHED_BATCH gets SCHED_BATCH back after a burst", () => {
  const c = libc()!;
  assert.equal(c.symbols.sched_setscheduler(0, SCHED.BATCH, new Int32Array([0])), 0);
  try {
    const inside = realtimeBurst(() => threadPolicy());
    assert.equal(inside, root ? SCHED.FIFO | SCHED.RESET_ON_FORK : SCHED.BATCH);
    assert.equal(threadPolicy(), SCHED.BATCH);
  } finally {
    c.symbols.sched_setscheduler(0, SCHED.OTHER, new Int32Array([0]));
  }
});

Deno.test("a thread already real-time keeps its own priority through a burst", () => {
  const c = libc()!;
  const raised = c.symbols.sched_setscheduler(0, SCHED.RR, new Int32Array([3]));
  // Only a privileged thread can be made real-time (the daemon's burst needs the same).
  assert.equal(raised === 0, root);
  try {
    const inside = realtimeBurst(() => ({ policy: threadPolicy(), priority: rtPriority() }));
    assert.deepEqual(inside, root ? { policy: SCHED.RR, priority: 3 } : { policy: 0, priority: 0 });
    assert.equal(threadPolicy(), root ? SCHED.RR : SCHED.OTHER);
    assert.equal(rtPriority(), root ? 3 : 0);
  } finally {
    c.symbols.sched_setscheduler(0, SCHED.OTHER, new Int32Array([0]));
  }
});
