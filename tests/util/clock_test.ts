import assert from "node:assert/strict";
import { systemClock } from "../../src/util/clock.ts";

Deno.test("systemClock.schedule() does not fire a deadline past the timer range at once", async () => {
  let fired = false;
  // 2^31 ms and more overflow setTimeout, which would then fire after ~1 ms.
  const cancel = systemClock.schedule(Date.now() + 3_000_000_000, () => (fired = true));
  await new Promise((resolve) => setTimeout(resolve, 50));
  cancel();
  assert.equal(fired, false);
});

Deno.test("systemClock.schedule() fires a past deadline and a NaN one soon, never throwing", async () => {
  const fired: string[] = [];
  systemClock.schedule(Date.now() - 1000, () => fired.push("past"));
  systemClock.schedule(NaN, () => fired.push("nan"));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(fired.sort(), ["nan", "past"]);
});
