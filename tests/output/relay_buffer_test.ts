/**
 * The relay's read buffer (issue 17): every running instance holds one per
 * output stream, so a quiet stream's stays small; a busy stream's grows to
 * the largest size in steps and is given back once the stream is quiet.
 */
import assert from "node:assert/strict";
import type { ByteSource, ReadResult } from "../../src/output/byte_source.ts";
import { relayToNowhere } from "../_helpers/relay.ts";
import { startCopy } from "../../src/output/relay.ts";
import { waitFor } from "../_helpers/wait_for.ts";

/** A source that answers each read with the next size of `script` ("full": as much as offered). */
function scriptedSource(script: readonly (number | "full")[]) {
  const offered: number[] = [];
  const produced: number[] = [];
  let step = 0;
  let byte = 0;
  const readNow = (view: Uint8Array): ReadResult => {
    offered.push(view.length);
    const next = script[step++];
    if (next === undefined) return { chunk: view.subarray(0, 0), done: true };
    const n = next === "full" ? view.length : next;
    for (let i = 0; i < n; i++) {
      view[i] = byte & 0xff;
      produced.push(byte++ & 0xff);
    }
    return { chunk: view.subarray(0, n), done: false };
  };
  const source: ByteSource = {
    read: (view) => Promise.resolve(readNow(view)),
    cancel: () => Promise.resolve(),
    release: () => {},
  };
  return { source, readNow, offered, produced };
}

async function relayAll(source: ByteSource): Promise<number[]> {
  const published: number[] = [];
  await relayToNowhere(source, (chunk) => chunk.forEach((b) => published.push(b)));
  return published;
}

Deno.test("relay buffer: 1 KiB for a quiet stream, grown 8× per full read up to 128 KiB, given back after 64 small reads; every byte passed on", async () => {
  const quiet = Array.from({ length: 64 }, () => 10);
  const { source, offered, produced } = scriptedSource([
    10,
    "full",
    "full",
    "full",
    "full",
    "full",
    ...quiet,
    20,
  ]);
  const published = await relayAll(source);
  assert.deepEqual(offered.slice(0, 7), [1024, 1024, 8192, 65536, 131072, 131072, 131072]);
  assert.equal(offered[6 + 63], 131072, "still grown before the 64th small read");
  assert.equal(offered[6 + 64], 1024, "given back after 64 small reads");
  assert.equal(offered.at(-1), 1024);
  assert.deepEqual(published, produced);
});

Deno.test("relay buffer: a source is widened by its first read of 32 KiB or more, narrowed when the buffer is given back", async () => {
  const { source: scripted, offered } = scriptedSource([
    "full", // 1 KiB
    "full", // 8 KiB
    "full", // 64 KiB: a default pipe's whole capacity
    "full", // 128 KiB
    "full",
    ...Array.from({ length: 64 }, () => 10),
    20,
  ]);
  const calls: string[] = [];
  const source: ByteSource = {
    ...scripted,
    widen: () => calls.push(`widen after ${offered.length} reads`),
    narrow: () => calls.push(`narrow after ${offered.length} reads`),
  };
  await relayAll(source);
  assert.deepEqual(calls, ["widen after 3 reads", "narrow after 69 reads"]);
});

Deno.test("relay buffer: a pipe of 100-byte writes, full at 64,000 bytes, is widened too", async () => {
  const { source: scripted, offered } = scriptedSource(["full", "full", 64_000, 64_000, 10]);
  let widened = 0;
  const source: ByteSource = { ...scripted, widen: () => widened++, narrow: () => {} };
  await relayAll(source);
  assert.deepEqual(offered.slice(0, 4), [1024, 8192, 65536, 65536], "not grown past 64 KiB");
  assert.equal(widened, 1, "widened once, at the first 64,000-byte read");
});

Deno.test("relay buffer: reads of 1 KiB or more keep a grown buffer (a steady stream of long lines is not shrunk)", async () => {
  const { source, offered } = scriptedSource(["full", ...Array.from({ length: 100 }, () => 1500)]);
  await relayAll(source);
  assert.equal(offered[1], 8192);
  assert.ok(offered.slice(1).every((size) => size === 8192), `offered ${offered.join(" ")}`);
});

Deno.test("relay buffer: a quiet stream whose source says when it is readable holds no buffer while it waits", async () => {
  const { source: scripted, readNow, offered, produced } = scriptedSource([10, "full", 300, 20]);
  let waiting = 0;
  let release: () => void = () => {};
  const source: ByteSource = {
    ...scripted,
    readNow,
    onReadable(listener) {
      waiting++;
      release = () => listener.readable();
    },
  };
  const relayed = relayAll(source);
  await waitFor(() => waiting === 1 || null, { what: "the first wait" });
  assert.deepEqual(offered, [], "waits before any buffer");
  release();
  // 10 bytes drained a 1 KiB buffer: it is dropped and the stream waits again.
  await waitFor(() => waiting === 2 || null, { what: "the second wait" });
  assert.deepEqual(offered, [1024]);
  release();
  // A full read grows the buffer, which is kept (8 KiB): the next reads, to EOF, follow at once.
  const published = await relayed;
  assert.deepEqual([waiting, offered], [2, [1024, 1024, 8192, 8192, 8192]]);
  assert.deepEqual(published, produced, "every byte passed on");
});

Deno.test("relay: an error when the relay goes back to waiting is reported as the relay's failure, not lost", async () => {
  const { source: scripted, readNow } = scriptedSource([10]);
  let calls = 0;
  const source: ByteSource = {
    ...scripted,
    readNow,
    onReadable(listener) {
      if (++calls > 1) throw new Error("cannot wait");
      queueMicrotask(() => listener.readable());
    },
  };
  await assert.rejects(relayAll(source), /cannot wait/);
});

Deno.test("relay: a stream that never runs dry still lets the event loop take turns (a flood does not hold up requests)", async () => {
  // Always full, and each read takes 1 ms: 100 reads keep the loop busy ~100 ms.
  const reads = 100;
  let served = 0;
  const readNow = (view: Uint8Array): ReadResult => {
    if (served++ === reads) return { chunk: view.subarray(0, 0), done: true };
    const until = performance.now() + 1;
    while (performance.now() < until) { /* a busy pipe */ }
    view.fill(65);
    return { chunk: view, done: false };
  };
  const source: ByteSource = {
    read: (view) => Promise.resolve(readNow(view)),
    readNow,
    onReadable: (listener) => queueMicrotask(() => listener.readable()),
    cancel: () => Promise.resolve(),
    release: () => {},
  };
  // A timer due at once stands for a request waiting for its turn.
  let readsBeforeTheTimer = -1;
  setTimeout(() => readsBeforeTheTimer = served, 0);
  await relayAll(source);
  assert.ok(
    readsBeforeTheTimer >= 0 && readsBeforeTheTimer < reads,
    `the timer ran after ${readsBeforeTheTimer} of ${reads} reads`,
  );
});

Deno.test("relay: a source that is readable at once, already at its end, ends the relay only after startCopy returns", async () => {
  const source: ByteSource = {
    read: () => Promise.resolve({ chunk: new Uint8Array(0), done: true }),
    readNow: (view) => ({ chunk: view.subarray(0, 0), done: true }),
    onReadable: (listener) => listener.readable(),
    cancel: () => Promise.resolve(),
    release: () => {},
  };
  let returned = false;
  let endedBeforeReturn: boolean | null = null;
  const ended = new Promise<void>((resolve) =>
    startCopy(
      source,
      { path: null, maxBytes: 0, backups: 0, timestamps: false, flushPartialAfterMs: 0 },
      { key: "test:stdout", path: null, file: null },
      { publish: () => {}, sharesFile: () => false, isFollowed: () => false },
      {
        copyEnded: () => {
          endedBeforeReturn = !returned;
          resolve();
        },
      },
    )
  );
  returned = true;
  await ended;
  assert.equal(endedBeforeReturn, false);
});

Deno.test("relay: a wake-up that finds the pipe empty waits again; bytes after it are all passed on", async () => {
  // null: woken, but another read took the bytes; then 5 bytes, then nothing again, then EOF.
  const script: (number | null)[] = [null, 5, null, 3];
  const produced: number[] = [];
  let byte = 0;
  let waits = 0;
  const readNow = (view: Uint8Array): ReadResult | null => {
    if (script.length === 0) return { chunk: view.subarray(0, 0), done: true };
    const next = script.shift()!;
    if (next === null) return null;
    for (let i = 0; i < next; i++) produced.push(view[i] = byte++);
    return { chunk: view.subarray(0, next), done: false };
  };
  const source: ByteSource = {
    read: () => Promise.reject(new Error("a parked relay reads with readNow")),
    readNow,
    onReadable: (listener) => {
      waits++;
      queueMicrotask(() => listener.readable());
    },
    cancel: () => Promise.resolve(),
    release: () => {},
  };
  const published = await relayAll(source);
  assert.deepEqual(published, produced);
  assert.deepEqual(published, [0, 1, 2, 3, 4, 5, 6, 7]);
  // The first wait, then one after each wake-up that found nothing or a short read.
  assert.equal(waits, 5);
});

Deno.test("relay: a read that fails when the relay wakes up is reported as the relay's failure", async () => {
  const source: ByteSource = {
    read: () => Promise.reject(new Error("unused")),
    readNow: () => {
      throw new Error("read of an output pipe failed (errno 9)");
    },
    onReadable: (listener) => queueMicrotask(() => listener.readable()),
    cancel: () => Promise.resolve(),
    release: () => {},
  };
  await assert.rejects(relayAll(source), /errno 9/);
});
