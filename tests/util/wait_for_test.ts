import assert from "node:assert/strict";
import { waitFor } from "../_helpers/wait_for.ts";

Deno.test("waitFor: a check that never settles fails at the deadline instead of hanging the test", async () => {
  const started = Date.now();
  let calls = 0;
  await assert.rejects(
    waitFor(() => {
      calls++;
      return new Promise<boolean>(() => {});
    }, { timeout: 200, what: "an answer" }),
    /timed out after 200 ms waiting for an answer: .*still pending at the deadline/,
  );
  assert.ok(calls <= 2, `${calls} checks`);
  assert.ok(Date.now() - started < 5_000);
});

Deno.test("waitFor: a check that settles late but in time is still taken", async () => {
  let calls = 0;
  const value = await waitFor(() => {
    calls++;
    return new Promise<string | null>((resolve) =>
      setTimeout(() => resolve(calls >= 2 ? "ready" : null), 20)
    );
  }, { timeout: 5_000, what: "ready" });
  assert.equal(value, "ready");
  assert.equal(calls, 2);
});
