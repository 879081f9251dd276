/**
 * Floods relayed from a pipe the daemon reads itself (pipe_source.ts), as
 * a child's output is: copied natively (native_copy.ts) where only the file
 * wants the bytes, and read by the relay itself otherwise.
 */
import assert from "node:assert/strict";
import { OutputHub } from "../../src/output/output_hub.ts";
import { concatBytes } from "../../src/util/bytes.ts";
import {
  type FloodCopy,
  floodCopyTotals,
  FloodEnd,
  nativeCopy,
} from "../../src/output/native_copy.ts";
import type { ByteSource, ReadResult } from "../../src/output/byte_source.ts";
import { LogFile } from "../../src/output/log_file.ts";
import { type OutputTarget, startCopy } from "../../src/output/relay.ts";
import { outputPoller } from "../../src/process/fd_poller.ts";
import { libc } from "../../src/process/libc.ts";
import { gatedPipe } from "./_gated_pipe.ts";
import { pipeSource } from "../../src/process/pipe_source.ts";
import { scriptOutput, sha256, tempDir, waitFor } from "./_helpers.ts";

/** ~38.9 MB of numbered lines. */
const SCRIPT = "seq 1 5000000";
const LAST = 5_000_000;

const ownFile = (path: string, more: Partial<OutputTarget> = {}): OutputTarget => ({
  path,
  maxBytes: 0,
  backups: 0,
  timestamps: false,
  flushPartialAfterMs: 200,
  ...more,
});

/**
 * Relays a child's stdout, read through a descriptor of our own as the
 * daemon reads it; the child starts writing at `go()`.
 */
async function relayed(
  hub: OutputHub,
  key: string,
  target: OutputTarget,
  script = SCRIPT,
): Promise<{ go: () => Promise<void>; done: Promise<unknown>; child: Deno.ChildProcess }> {
  const c = libc();
  const poller = outputPoller();
  assert.ok(c !== null && poller !== null && nativeCopy() !== null, "FFI and the native loop");
  const { fd, child, go } = await gatedPipe(script);
  const relay = hub.relay(key, pipeSource(fd, poller), target);
  return { go, done: within(Promise.all([relay, child.status]), 60_000, `${key} to end`), child };
}

/** `promise`, or a failure after `ms`: a relay that never ends fails its test instead of hanging it. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** {@link relayed}, started at once. */
async function floodInto(hub: OutputHub, key: string, target: OutputTarget) {
  const flood = await relayed(hub, key, target);
  await flood.go();
  return flood.done;
}

/** The files a rotated `path` left, oldest backup first and the live file last. */
async function rotatedFiles(path: string, backups: number): Promise<Uint8Array<ArrayBuffer>[]> {
  const names = [...Array.from({ length: backups }, (_, i) => `${path}.${backups - i}`), path];
  return (await Promise.all(names.map((p) => Deno.readFile(p).catch(() => null))))
    .filter((f): f is Uint8Array<ArrayBuffer> => f !== null);
}

Deno.test("a flood into a file of its own is copied natively, byte for byte, to EOF", async () => {
  await using dir = await tempDir();
  const errors: string[] = [];
  const hub = new OutputHub({ onError: (m) => errors.push(m) });
  const path = `${dir.path}/flood.log`;
  const before = floodCopyTotals.bytes;
  await floodInto(hub, "flood:stdout", ownFile(path));
  await hub.close();
  const written = await Deno.readFile(path);
  assert.equal(await sha256(written), await sha256(await scriptOutput(SCRIPT)));
  // Most of it went through the native loop, not through the relay's own reads.
  assert.ok(
    floodCopyTotals.bytes - before > written.length / 2,
    `${floodCopyTotals.bytes - before}`,
  );
  assert.deepEqual(errors, []);
});

Deno.test("a subscriber that comes in the middle of a flood gets every line from then on", async () => {
  await using dir = await tempDir();
  const hub = new OutputHub();
  const path = `${dir.path}/flood.log`;
  const started = floodCopyTotals.started;
  const flood = floodInto(hub, "flood:stdout", ownFile(path));
  // Well under way natively (copying, not starting): the subscriber must bring
  // the copy back without losing the read it was in the middle of.
  await waitFor(
    () => floodCopyTotals.started > started && Deno.statSync(path).size > 4_000_000,
    { timeout: 30_000, interval: 1, what: "a native copy" },
  );
  const chunks: Uint8Array[] = [];
  hub.subscribe("flood:stdout", (chunk) => chunks.push(chunk.slice()));
  await flood;
  await hub.close();
  assert.equal(await sha256(await Deno.readFile(path)), await sha256(await scriptOutput(SCRIPT)));
  const seen = new TextDecoder().decode(concatBytes(chunks)).split("\n");
  // The first may be the end of a line begun before; the last is empty (the final newline).
  assert.equal(seen.pop(), "");
  const numbers = seen.slice(1).map(Number);
  assert.ok(
    numbers.length > 0 && numbers[0]! < LAST,
    "the flood went on after the subscriber came",
  );
  numbers.forEach((n, i) => {
    if (i > 0 && n !== numbers[i - 1]! + 1) assert.fail(`line ${numbers[i - 1]} followed by ${n}`);
  });
  assert.equal(numbers.at(-1), LAST);
});

Deno.test("a flood into a rotated file is copied natively, every file within the limit and cut on lines", async () => {
  await using dir = await tempDir();
  const hub = new OutputHub();
  const path = `${dir.path}/rotated.log`;
  const before = floodCopyTotals.bytes;
  await floodInto(hub, "rotated:stdout", ownFile(path, { maxBytes: 3_000_000, backups: 20 }));
  await hub.close();
  assert.ok(floodCopyTotals.bytes - before > 10_000_000, `${floodCopyTotals.bytes - before}`);
  const files = await rotatedFiles(path, 20);
  assert.ok(files.length >= 13, `${files.length} files`);
  for (const file of files) {
    assert.ok(file.length <= 3_000_000, `a file of ${file.length} bytes`);
    assert.equal(file.at(-1), 10, "each file ends on a whole line");
  }
  assert.equal(await sha256(concatBytes(files)), await sha256(await scriptOutput(SCRIPT)));
});

Deno.test("a flood of long lines into a rotated file keeps every line whole, copied natively", async () => {
  await using dir = await tempDir();
  const hub = new OutputHub();
  const path = `${dir.path}/long.log`;
  // 10,000-byte lines: longer than the copy's first look back for the open line (4 KiB).
  const script = "yes $(head -c 9999 /dev/zero | tr '\\0' a) | head -n 3000";
  const before = floodCopyTotals.bytes;
  const flood = await relayed(
    hub,
    "long:stdout",
    ownFile(path, { maxBytes: 3_000_000, backups: 20 }),
    script,
  );
  await flood.go();
  await flood.done;
  await hub.close();
  assert.ok(floodCopyTotals.bytes - before > 10_000_000, `${floodCopyTotals.bytes - before}`);
  const files = await rotatedFiles(path, 20);
  assert.ok(files.length >= 10, `${files.length} files`);
  for (const file of files) {
    assert.ok(file.length <= 3_000_000, `a file of ${file.length} bytes`);
    assert.equal(file.length % 10_000, 0, `a file of ${file.length} bytes: a line cut`);
  }
  assert.equal(await sha256(concatBytes(files)), await sha256(await scriptOutput(script)));
});

Deno.test("a flood into a timestamped or shared file is read by the relay itself", async () => {
  await using dir = await tempDir();
  const hub = new OutputHub();
  const before = floodCopyTotals.bytes;
  const stamped = floodInto(
    hub,
    "stamped:stdout",
    ownFile(`${dir.path}/stamped.log`, { timestamps: true }),
  );
  // A file another relay writes to too (its child quiet meanwhile).
  const flooding = await relayed(hub, "a:stdout", ownFile(`${dir.path}/shared.log`));
  const quiet = await relayed(hub, "b:stdout", ownFile(`${dir.path}/shared.log`));
  await flooding.go();
  await Promise.all([stamped, flooding.done]);
  assert.equal(floodCopyTotals.bytes, before);
  // Alone in the file now, the other may flood natively: both whole in the end.
  await quiet.go();
  await quiet.done;
  await hub.close();
  const stampedLines = (await Deno.readTextFile(`${dir.path}/stamped.log`)).split("\n");
  assert.equal(stampedLines.length, LAST + 1);
  assert.match(stampedLines[LAST - 1]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z 5000000$/);
  const sharedLines = (await Deno.readTextFile(`${dir.path}/shared.log`)).split("\n");
  assert.equal(sharedLines.length, 2 * LAST + 1);
});

Deno.test("relay: a follower that comes while a flood is copied natively gets the read the copy was in", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/out.log`;
  const file = await LogFile.open(path, { maxBytes: 0, backups: 0 }, (m) => assert.fail(m));
  const encoder = new TextEncoder();
  const copiedBefore = encoder.encode("copied before the follower came\n");
  const copiedAsItCame = encoder.encode("read by the copy as the follower came\n");
  const readAfter = encoder.encode("read by the relay afterwards\n");
  const reads: Uint8Array[] = [];
  let followed = false;
  // Three reads that fill the relay's growing buffer (the last one a flood's), then the rest.
  const script = [1024, 8192, 65536];
  const readNow = (view: Uint8Array<ArrayBuffer>): ReadResult => {
    const size = script.shift();
    if (size !== undefined) {
      view.fill(0x78, 0, size);
      view[size - 1] = 10;
      reads.push(view.slice(0, size));
      return { chunk: view.subarray(0, size), done: false };
    }
    if (reads.length === 3) {
      reads.push(readAfter);
      view.set(readAfter);
      return { chunk: view.subarray(0, readAfter.length), done: false };
    }
    return { chunk: view.subarray(0, 0), done: true };
  };
  const source: ByteSource = {
    read: (view) => Promise.resolve(readNow(view)),
    readNow,
    onReadable: (listener) => queueMicrotask(() => listener.readable()),
    copyFlood: async (to, ino, buffer): Promise<FloodCopy> => {
      assert.equal(to, path);
      assert.equal(ino, (await Deno.stat(path)).ino);
      await Deno.writeFile(path, concatBytes([copiedBefore, copiedAsItCame]), { append: true });
      followed = true;
      buffer.set(copiedAsItCame);
      return {
        written: copiedBefore.length + copiedAsItCame.length,
        end: FloodEnd.Stop,
        lastRead: copiedAsItCame.length,
        afterNewline: 0,
        errno: 0,
        lastWritten: copiedAsItCame.length,
      };
    },
    cancel: () => Promise.resolve(),
    release: () => {},
  };
  const published: Uint8Array[] = [];
  await new Promise<void>((resolve, reject) =>
    startCopy(
      source,
      ownFile(path, { flushPartialAfterMs: 0 }),
      { key: "flood:stdout", path, file },
      {
        publish: (_key, chunk) => followed && published.push(chunk.slice()),
        sharesFile: () => false,
        isFollowed: () => followed,
      },
      { copyEnded: (end) => end === null ? resolve() : reject(end.error) },
    )
  );
  await file.close();
  const text = new TextDecoder();
  assert.deepEqual(published.map((chunk) => text.decode(chunk)), [
    text.decode(copiedAsItCame),
    text.decode(readAfter),
  ]);
  // Every byte in the file once, in order, the copy's among the relay's own.
  assert.equal(
    text.decode(await Deno.readFile(path)),
    text.decode(concatBytes([...reads.slice(0, 3), copiedBefore, copiedAsItCame, readAfter])),
  );
});

Deno.test("a stream that floods and then pauses has its next line in the file while it still runs", async () => {
  await using dir = await tempDir();
  const hub = new OutputHub();
  const path = `${dir.path}/bursts.log`;
  const started = floodCopyTotals.started;
  // The pipe is muted in the epoll while a copy reads it: it must be heard again after.
  const script = "seq 1 1000000; sleep 0.5; echo second burst; exec sleep 60";
  const flood = await relayed(hub, "bursts:stdout", ownFile(path), script);
  await flood.go();
  const first = (await new Deno.Command("seq", { args: ["1", "1000000"] }).output()).stdout;
  const want = first.length + "second burst\n".length;
  try {
    await waitFor(() => Deno.statSync(path).size >= want, {
      timeout: 20_000,
      what: "the second burst in the file",
    });
    assert.ok(floodCopyTotals.started > started, "the first burst was copied natively");
    assert.equal(
      await sha256(await Deno.readFile(path)),
      await sha256(concatBytes([first, new TextEncoder().encode("second burst\n")])),
    );
  } finally {
    flood.child.kill();
    await flood.done;
    await hub.close();
  }
});

Deno.test("clear in the middle of a flood copied natively empties the file, and the flood goes on into it", async () => {
  await using dir = await tempDir();
  const hub = new OutputHub();
  const path = `${dir.path}/flood.log`;
  const started = floodCopyTotals.started;
  const flood = await relayed(hub, "flood:stdout", ownFile(path));
  await flood.go();
  await waitFor(
    () => floodCopyTotals.started > started && Deno.statSync(path).size > 4_000_000,
    { timeout: 30_000, interval: 1, what: "a native copy" },
  );
  await hub.clear(path);
  await flood.done;
  await hub.close();
  const expected = new TextDecoder().decode(await scriptOutput(SCRIPT));
  const kept = await Deno.readTextFile(path);
  assert.ok(
    kept.length > 0 && kept.length < expected.length - 4_000_000,
    `${kept.length} bytes kept`,
  );
  // What was written after the clear, whole: no hole, nothing twice.
  assert.ok(expected.endsWith(kept), "the file is the end of the output");
});

Deno.test("closing the hub in the middle of a flood copied natively lets the pipe go", async () => {
  await using dir = await tempDir();
  const hub = new OutputHub({ closeGraceMs: 100 });
  const path = `${dir.path}/endless.log`;
  const started = floodCopyTotals.started;
  const flood = await relayed(hub, "endless:stdout", ownFile(path), "exec yes");
  await flood.go();
  await waitFor(() => floodCopyTotals.started > started, {
    timeout: 30_000,
    interval: 1,
    what: "a native copy",
  });
  await within(hub.close(), 20_000, "the hub to close");
  // The daemon's read end was the pipe's last: closed, `yes` dies of SIGPIPE.
  const status = await within(flood.child.status, 20_000, "yes to end");
  assert.equal(status.signal, "SIGPIPE");
  await flood.done;
  const text = await Deno.readTextFile(path);
  assert.ok(text.length > 0 && /^(y\n)*y?$/.test(text.slice(0, 1_000_000)));
});
