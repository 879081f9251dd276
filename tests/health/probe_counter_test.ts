import assert from "node:assert/strict";
import { countResult, initialCounter, type ProbeCounter } from "../../src/health/probe_counter.ts";

const T = { successThreshold: 2, failureThreshold: 3 };

function feed(start: ProbeCounter, results: boolean[]) {
  let counter = start;
  const events: string[] = [];
  for (const ok of results) {
    const r = countResult(counter, ok, T);
    counter = r.next;
    if (r.becamePassing) events.push("passing");
    if (r.thresholdReached) events.push("threshold");
  }
  return { counter, events };
}

Deno.test("countResult() needs success_threshold successes in a row to pass", () => {
  assert.deepEqual(feed(initialCounter(false), [true, false, true]).events, []);
  assert.deepEqual(feed(initialCounter(false), [true, false, true, true]).events, ["passing"]);
});

Deno.test("countResult() reports failure_threshold once per run of failures, then counts again", () => {
  const { events, counter } = feed(initialCounter(true), [
    false,
    false,
    true,
    false,
    false,
    false,
    false,
    false,
    false,
  ]);
  assert.deepEqual(events, ["threshold", "threshold"]);
  assert.equal(counter.passing, false);
});

Deno.test("countResult() passing stays passing below the failure threshold", () => {
  const r = feed(initialCounter(false), [true, true, false, false, true]);
  assert.deepEqual(r.events, ["passing"]);
  assert.equal(r.counter.passing, true);
});
