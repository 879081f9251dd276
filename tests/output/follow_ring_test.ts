import assert from "node:assert/strict";
import { FollowRing, followRing } from "../../src/output/follow_ring.ts";

const MiB = 1024 * 1024;
const OPENED = new Uint8Array(0);
const missed = (bytes: number) => new TextEncoder().encode(`missed ${bytes}`);
const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

Deno.test("a follower that does not read keeps only the newest 1 MiB and is told how many bytes it missed", async () => {
  const ring = new FollowRing(MiB);
  let released = 0;
  const abort = new AbortController();
  const follower = followRing(ring, abort.signal, { opened: OPENED, missed }, () => released++)
    [Symbol.asyncIterator]();
  assert.equal((await follower.next()).value, OPENED);
  // 3 MiB in 64 KiB chunks, numbered by their bytes, while nobody reads.
  for (let i = 0; i < 48; i++) ring.append(new Uint8Array(64 * 1024).fill(i));
  assert.equal(text((await follower.next()).value), `missed ${2 * MiB}`);
  const rest = (await follower.next()).value!;
  assert.equal(rest.length, MiB);
  const chunks = Array.from({ length: 16 }, (_, i) => rest[i * 64 * 1024]);
  assert.deepEqual(chunks, Array.from({ length: 16 }, (_, i) => 32 + i));
  abort.abort();
  assert.equal((await follower.next()).done, true);
  assert.equal(released, 1);
});

Deno.test("followers reading as it comes get the stream byte for byte across the ring's wrap, chunks larger than the ring included", async () => {
  const ring = new FollowRing(1000);
  const abort = new AbortController();
  const follower = followRing(ring, abort.signal, { missed }, () => {})[Symbol.asyncIterator]();
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  let next = 0;
  for (let round = 0; round < 200; round++) {
    const size = 1 + Math.floor(random() * 900);
    const chunk = Uint8Array.from({ length: size }, () => next++ % 251);
    const pending = follower.next();
    ring.append(chunk);
    assert.deepEqual((await pending).value, chunk, `round ${round}`);
  }
  const big = Uint8Array.from({ length: 2500 }, (_, i) => i % 251);
  const pending = follower.next();
  ring.append(big);
  assert.equal(text((await pending).value), "missed 1500");
  assert.deepEqual((await follower.next()).value, big.subarray(1500));
  abort.abort();
  await follower.return?.(undefined);
});

Deno.test("one stalled follower does not hold back another, learns what it missed when it reads again, and each is released once", async () => {
  const ring = new FollowRing(4096);
  const released: string[] = [];
  const stalledAbort = new AbortController();
  const readingAbort = new AbortController();
  const neverAbort = new AbortController();
  const stalled = followRing(ring, stalledAbort.signal, { missed }, () => released.push("stalled"))
    [Symbol.asyncIterator]();
  const reader = followRing(ring, readingAbort.signal, { missed }, () => released.push("reader"))
    [Symbol.asyncIterator]();
  followRing(ring, neverAbort.signal, { missed }, () => released.push("never"));
  const stalledFirst = stalled.next(); // reads one chunk, then stops reading
  for (let i = 0; i < 10; i++) {
    const pending = reader.next();
    ring.append(new Uint8Array(1000).fill(i));
    assert.deepEqual((await pending).value, new Uint8Array(1000).fill(i));
  }
  assert.deepEqual((await stalledFirst).value, new Uint8Array(1000).fill(0));
  // 9,000 bytes came after its first chunk; the ring kept the newest 4,096.
  assert.equal(text((await stalled.next()).value), `missed ${9000 - 4096}`);
  const kept = (await stalled.next()).value!;
  assert.equal(kept.length, 4096);
  assert.deepEqual([kept[0], kept[4095]], [5, 9]);
  // An iterable never read is released at once; a reader parked in a wait ends on abort.
  neverAbort.abort();
  const parked = reader.next();
  readingAbort.abort();
  assert.equal((await parked).done, true);
  stalledAbort.abort();
  assert.equal((await stalled.next()).done, true);
  assert.deepEqual(released, ["never", "reader", "stalled"]);
});
