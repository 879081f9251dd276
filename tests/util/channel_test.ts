import assert from "node:assert/strict";
import { fromSubscription } from "../../src/util/channel.ts";

Deno.test("fromSubscription() keeps at most `limit` items for a reader that does not read, the newest, and unsubscribes when it stops", async () => {
  let push!: (item: number) => void;
  let subscribed = true;
  const abort = new AbortController();
  const iterator = fromSubscription<number>(
    (p) => {
      push = p;
      return () => (subscribed = false);
    },
    abort.signal,
    4,
  )[Symbol.asyncIterator]();
  const first = iterator.next(); // subscribes, then waits
  await Promise.resolve();
  for (let i = 0; i < 10; i++) push(i);
  const kept = [(await first).value];
  for (let i = 0; i < 3; i++) kept.push((await iterator.next()).value);
  assert.deepEqual(kept, [6, 7, 8, 9]);
  abort.abort();
  assert.equal((await iterator.next()).done, true);
  assert.equal(subscribed, false);
});
