import assert from "node:assert/strict";
import { SpawnBurstCollector, untilCalm } from "../../src/daemon/launch_garbage.ts";
import { FakeClock } from "../_helpers/fake_process.ts";

const RULES = { spawns: 50, quietMs: 500 };

function collector() {
  const clock = new FakeClock();
  const collected: { at: number; spawns: number }[] = [];
  const burst = new SpawnBurstCollector(
    clock,
    (spawns) => collected.push({ at: clock.now(), spawns }),
    RULES,
  );
  const spawn = (count: number, everyMs: number) => {
    for (let i = 0; i < count; i++) {
      burst.spawned();
      clock.advance(everyMs);
    }
  };
  return { clock, collected, burst, spawn };
}

Deno.test("a burst of spawns is collected once, quietMs after its last spawn", () => {
  const { clock, collected, spawn } = collector();
  const start = clock.now();
  spawn(120, 10); // 1.2 s of spawns, longer than quietMs: the one timer moves on
  assert.equal(collected.length, 0);
  clock.advance(10_000);
  // The last spawn was at start + 1190 ms.
  assert.deepEqual(collected, [{ at: start + 1190 + RULES.quietMs, spawns: 120 }]);
});

Deno.test("fewer spawns than a burst arm nothing; the count starts again after a collection", () => {
  const { clock, collected, spawn, burst } = collector();
  spawn(49, 1);
  clock.advance(60_000);
  assert.equal(collected.length, 0, "49 spawns are not a burst");
  spawn(1, 1);
  clock.advance(1_000);
  assert.equal(collected.length, 1);
  assert.equal(collected[0]!.spawns, 50);
  spawn(10, 1);
  clock.advance(60_000);
  assert.equal(collected.length, 1, "10 more after a collection are not a burst");
  spawn(50, 1);
  burst.dispose(); // shutdown: nothing more is collected
  clock.advance(60_000);
  assert.equal(collected.length, 1);
});

/** Moves `clock` on `steps` times `stepMs`, letting the promises its timers settle run after each. */
async function advanceInSteps(clock: FakeClock, steps: number, stepMs: number): Promise<void> {
  for (let i = 0; i < steps; i++) {
    clock.advance(stepMs);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

Deno.test("untilCalm resolves at once when nothing floods, else at the first look that finds it calm", async () => {
  const clock = new FakeClock();
  const rules = { everyMs: 200, limitMs: 30_000 };
  let calm = false;
  untilCalm(clock, () => false, rules).then(() => calm = true);
  await advanceInSteps(clock, 1, 0);
  assert.ok(calm, "nothing flooding: resolved without the clock moving");
  const start = clock.now();
  let busy = true;
  let calmAt = -1;
  const waiting = untilCalm(clock, () => busy, rules).then(() => calmAt = clock.now());
  await advanceInSteps(clock, 5, 200);
  assert.equal(calmAt, -1, "still flooding at +1000 ms");
  busy = false;
  await advanceInSteps(clock, 2, 200);
  await waiting;
  assert.ok(calmAt > start + 1_000 && calmAt <= start + 1_400, `calm at +${calmAt - start} ms`);
});

Deno.test("untilCalm gives up waiting after limitMs: a program that never stops flooding gets it anyway", async () => {
  const clock = new FakeClock();
  const start = clock.now();
  let done = false;
  const waiting = untilCalm(clock, () => true, { everyMs: 200, limitMs: 1_000 }).then(() =>
    done = true
  );
  await advanceInSteps(clock, 4, 200);
  assert.equal(done, false, "still waiting at +800 ms");
  await advanceInSteps(clock, 2, 200);
  await waiting;
  assert.ok(clock.now() - start >= 1_000);
});
