import assert from "node:assert/strict";
import { type ByteBound, fromSubscription } from "../../src/util/channel.ts";

const BOUND: ByteBound<Uint8Array> = {
  maxBytes: 1024 * 1024,
  size: (chunk) => chunk.byteLength,
  missed: (bytes) => new TextEncoder().encode(`missed ${bytes}`),
};

Deno.test("fromSubscription() keeps at most maxBytes for a reader that does not read, and says how many it dropped", async () => {
  let push!: (chunk: Uint8Array) => void;
  let subscribed = true;
  const abort = new AbortController();
  const iterator = fromSubscription<Uint8Array>(
    (p) => {
      push = p;
      return () => (subscribed = false);
    },
    abort.signal,
    undefined,
    undefined,
    BOUND,
  )[Symbol.asyncIterator]();
  const first = iterator.next(); // subscribes, then waits
  await Promise.resolve();
  // 3 MiB in 64 KiB chunks, numbered by their first byte, while nobody reads.
  for (let i = 0; i < 48; i++) push(new Uint8Array(64 * 1024).fill(i));
  assert.equal(new TextDecoder().decode((await first).value!), `missed ${32 * 64 * 1024}`);
  const kept: number[] = [];
  for (let i = 0; i < 16; i++) kept.push((await iterator.next()).value![0]!);
  assert.deepEqual(kept, Array.from({ length: 16 }, (_, i) => 32 + i));
  abort.abort();
  await iterator.return?.(undefined);
  assert.equal(subscribed, false);
});
