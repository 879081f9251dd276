import assert from "node:assert/strict";
import { concatBytes } from "../../src/util/bytes.ts";
import { OutputHub } from "../../src/output/output_hub.ts";
import type { ByteSource } from "../../src/output/byte_source.ts";
import type { OutputTarget } from "../../src/output/relay.ts";
import {
  exists,
  pseudoRandomBytes,
  pseudoRandomLines,
  sh,
  sha256,
  tempDir,
  waitFor,
} from "./_helpers.ts";

const plain = (path: string | null): OutputTarget => ({
  path,
  maxBytes: 0,
  backups: 0,
  timestamps: false,
  flushPartialAfterMs: 200,
});

/** Runs `cat input` as a child and relays its stdout to `target`. */
async function relayFile(hub: OutputHub, input: string, target: OutputTarget): Promise<void> {
  const child = sh(`cat '${input}'`);
  await Promise.all([hub.relay("cat:stdout", child.stdout, target), child.status]);
}

Deno.test("OutputHub.relay() captures binary output byte for byte, creating the directory", async () => {
  await using dir = await tempDir();
  const data = concatBytes([
    pseudoRandomBytes(3_000_000),
    new TextEncoder().encode("tail, no newline"),
  ]);
  await Deno.writeFile(`${dir.path}/input.bin`, data);
  const errors: string[] = [];
  const hub = new OutputHub({ onError: (m) => errors.push(m) });
  const out = `${dir.path}/logs/deeper/cat.out.log`;
  await relayFile(hub, `${dir.path}/input.bin`, plain(out));
  await hub.close();
  const written = await Deno.readFile(out);
  assert.equal(written.length, data.length);
  assert.equal(await sha256(written), await sha256(data));
  assert.deepEqual(errors, []);
});

Deno.test("OutputHub.relay() appends to an existing file and writes a last line without newline", async () => {
  await using dir = await tempDir();
  const out = `${dir.path}/a.log`;
  await Deno.writeTextFile(out, "before\n");
  const hub = new OutputHub();
  const child = sh("printf 'one\\ntwo\\nthree'");
  await Promise.all([hub.relay("p:stdout", child.stdout, plain(out)), child.status]);
  await hub.close();
  assert.equal(await Deno.readTextFile(out), "before\none\ntwo\nthree");
});

Deno.test("OutputHub.relay() rotates on line boundaries without losing or duplicating a byte", async () => {
  await using dir = await tempDir();
  const data = pseudoRandomLines(200_000, 300);
  await Deno.writeFile(`${dir.path}/input.txt`, data);
  const out = `${dir.path}/r.log`;
  const maxBytes = 10_000;
  const hub = new OutputHub();
  await relayFile(hub, `${dir.path}/input.txt`, { ...plain(out), maxBytes, backups: 100 });
  await hub.close();
  const parts: Uint8Array[] = [];
  let i = 1;
  while (await exists(`${out}.${i}`)) i++;
  for (let k = i - 1; k >= 1; k--) parts.push(await Deno.readFile(`${out}.${k}`));
  parts.push(await Deno.readFile(out));
  assert.ok(parts.length >= 20, `expected about 20 files, got ${parts.length}`);
  for (const [index, part] of parts.entries()) {
    assert.ok(part.length <= maxBytes, `file ${index} has ${part.length} bytes`);
    assert.equal(part[part.length - 1], 10, `file ${index} ends mid-line`);
    // Full: the next line would not have fitted.
    if (index < parts.length - 1) {
      const next = parts[index + 1] ?? new Uint8Array();
      assert.ok(part.length + next.indexOf(10) + 1 > maxBytes, `file ${index} rotated early`);
    }
  }
  assert.equal(await sha256(concatBytes(parts)), await sha256(data));
});

Deno.test("OutputHub.relay() keeps only `backups` rotated files, newest as name.1", async () => {
  await using dir = await tempDir();
  const data = pseudoRandomLines(100_000, 100, 99);
  await Deno.writeFile(`${dir.path}/input.txt`, data);
  const out = `${dir.path}/r.log`;
  const hub = new OutputHub();
  await relayFile(hub, `${dir.path}/input.txt`, { ...plain(out), maxBytes: 5_000, backups: 3 });
  await hub.close();
  assert.equal(await exists(`${out}.4`), false);
  const kept = concatBytes([
    await Deno.readFile(`${out}.3`),
    await Deno.readFile(`${out}.2`),
    await Deno.readFile(`${out}.1`),
    await Deno.readFile(out),
  ]);
  // What is kept is exactly the end of the stream.
  assert.equal(await sha256(kept), await sha256(data.subarray(data.length - kept.length)));
  const names = [];
  for await (const entry of Deno.readDir(dir.path)) names.push(entry.name);
  assert.deepEqual(names.sort(), ["input.txt", "r.log", "r.log.1", "r.log.2", "r.log.3"]);
});

Deno.test("OutputHub.relay() with backups 0 starts the file again in place", async () => {
  await using dir = await tempDir();
  const data = pseudoRandomLines(50_000, 80, 3);
  await Deno.writeFile(`${dir.path}/input.txt`, data);
  const out = `${dir.path}/r.log`;
  const hub = new OutputHub();
  await relayFile(hub, `${dir.path}/input.txt`, { ...plain(out), maxBytes: 4_000, backups: 0 });
  await hub.close();
  const kept = await Deno.readFile(out);
  assert.ok(kept.length > 0 && kept.length <= 4_000);
  assert.equal(await sha256(kept), await sha256(data.subarray(data.length - kept.length)));
  assert.equal(await exists(`${out}.1`), false);
});

Deno.test("OutputHub.relay() splits only a line longer than maxBytes", async () => {
  await using dir = await tempDir();
  const out = `${dir.path}/r.log`;
  const long = "L".repeat(2_500);
  const hub = new OutputHub();
  const child = sh(`printf 'short\\n${long}\\nend\\n'`);
  await Promise.all([
    hub.relay("p:stdout", child.stdout, { ...plain(out), maxBytes: 1_000, backups: 10 }),
    child.status,
  ]);
  await hub.close();
  const files = [`${out}.3`, `${out}.2`, `${out}.1`, out];
  const texts = await Promise.all(files.map((f) => Deno.readTextFile(f)));
  // "short\n" alone (the long line does not fit after it), the long line cut at
  // maxBytes, and its 501-byte end shares the last file with "end\n".
  assert.deepEqual(texts.map((t) => t.length), [6, 1_000, 1_000, 505]);
  assert.equal(await exists(`${out}.4`), false);
  assert.equal(texts.join(""), `short\n${long}\nend\n`);
});

Deno.test("OutputHub.relay() rotates a file that is already over maxBytes before writing", async () => {
  await using dir = await tempDir();
  const out = `${dir.path}/r.log`;
  await Deno.writeTextFile(out, "x".repeat(2_000) + "\n");
  const hub = new OutputHub();
  const child = sh("echo fresh");
  await Promise.all([
    hub.relay("p:stdout", child.stdout, { ...plain(out), maxBytes: 1_000, backups: 2 }),
    child.status,
  ]);
  await hub.close();
  assert.equal(await Deno.readTextFile(out), "fresh\n");
  assert.equal((await Deno.stat(`${out}.1`)).size, 2_001);
});

Deno.test("OutputHub.relay() interleaves whole lines of stdout and stderr sharing one file", async () => {
  await using dir = await tempDir();
  const out = `${dir.path}/both.log`;
  const count = 20_000;
  const fixture = new URL("../fixtures/output_interleave.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", fixture, String(count)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const hub = new OutputHub();
  // A long quiet period: this test is about lines cut by reads, not about pauses.
  const target = { ...plain(out), maxBytes: 200_000, backups: 50, flushPartialAfterMs: 10_000 };
  await Promise.all([
    hub.relay("i:stdout", child.stdout, target),
    hub.relay("i:stderr", child.stderr, target),
    child.status,
  ]);
  await hub.close();
  const parts: string[] = [];
  for (let i = 50; i >= 1; i--) {
    if (await exists(`${out}.${i}`)) parts.push(await Deno.readTextFile(`${out}.${i}`));
  }
  parts.push(await Deno.readTextFile(out));
  const seen = new Set<number>();
  for (const part of parts) {
    assert.ok(part.endsWith("\n"));
    for (const line of part.slice(0, -1).split("\n")) {
      const match = /^(out|err) (\d+) (p*)$/.exec(line);
      assert.ok(match, `broken line: ${JSON.stringify(line.slice(0, 80))}`);
      const i = Number(match[2]);
      assert.equal(match[1], i % 2 === 0 ? "out" : "err");
      assert.equal(match[3]?.length, (i * 37) % 201);
      assert.ok(!seen.has(i), `line ${i} twice`);
      seen.add(i);
    }
  }
  assert.equal(seen.size, count);
});

Deno.test("OutputHub.relay() prefixes every line with an ISO timestamp", async () => {
  await using dir = await tempDir();
  const out = `${dir.path}/t.log`;
  const hub = new OutputHub();
  const before = Date.now();
  const child = sh("printf 'a\\n\\nb\\nno newline'");
  await Promise.all([
    hub.relay("t:stdout", child.stdout, { ...plain(out), timestamps: true }),
    child.status,
  ]);
  await hub.close();
  const lines = (await Deno.readTextFile(out)).split("\n");
  assert.equal(lines.length, 4);
  const bodies = ["a", "", "b", "no newline"];
  for (const [i, line] of lines.entries()) {
    const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (.*)$/.exec(line);
    assert.ok(match, line);
    assert.equal(match[2], bodies[i]);
    const at = Date.parse(match[1] ?? "");
    assert.ok(at >= before - 1_000 && at <= Date.now() + 1_000);
  }
});

Deno.test("OutputHub.reopen() sends new output to a fresh file after the old one was moved", async () => {
  await using dir = await tempDir();
  const out = `${dir.path}/m.log`;
  const hub = new OutputHub();
  // A child that prints a line each time it reads one on stdin.
  const child = new Deno.Command("sh", {
    args: ["-c", 'while read -r line; do echo "$line"; done'],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const relay = hub.relay("m:stdout", child.stdout, plain(out));
  const stdin = child.stdin.getWriter();
  await stdin.write(new TextEncoder().encode("first\n"));
  await waitFor(
    async () => (await exists(out)) && (await Deno.readTextFile(out)) === "first\n",
    "first",
  );
  await Deno.rename(out, `${out}.old`);
  await stdin.write(new TextEncoder().encode("second\n"));
  await waitFor(async () => (await Deno.readTextFile(`${out}.old`)).includes("second"), "second");
  await hub.reopen();
  await stdin.write(new TextEncoder().encode("third\n"));
  await stdin.close();
  await Promise.all([relay, child.status]);
  await hub.close();
  assert.equal(await Deno.readTextFile(`${out}.old`), "first\nsecond\n");
  assert.equal(await Deno.readTextFile(out), "third\n");
});

Deno.test("OutputHub.relay() with a null path writes nothing but feeds subscribers", async () => {
  await using dir = await tempDir();
  const hub = new OutputHub();
  const received: Uint8Array[] = [];
  const unsubscribe = hub.subscribe("d:stdout", (chunk) => received.push(chunk));
  const child = sh(`cd '${dir.path}' && yes discard-me | head -c 2000000`);
  await Promise.all([hub.relay("d:stdout", child.stdout, plain(null)), child.status]);
  unsubscribe();
  await hub.close();
  const all = concatBytes(received);
  assert.equal(all.length, 2_000_000);
  assert.equal(new TextDecoder().decode(all.subarray(0, 11)), "discard-me\n");
  const entries = [];
  for await (const entry of Deno.readDir(dir.path)) entries.push(entry.name);
  assert.deepEqual(entries, []);
});

Deno.test("OutputHub.subscribe() gets the raw bytes as read, until unsubscribed", async () => {
  await using dir = await tempDir();
  const out = `${dir.path}/s.log`;
  const hub = new OutputHub();
  const a: Uint8Array[] = [];
  const b: Uint8Array[] = [];
  const offA = hub.subscribe("s:stdout", (chunk) => a.push(chunk));
  const offB = hub.subscribe("s:stdout", (chunk) => b.push(chunk));
  hub.subscribe("other:stdout", () => assert.fail("wrong key"));
  offB();
  const child = sh("printf 'partial'; sleep 0.1; printf ' line\\nnext'");
  await Promise.all([
    hub.relay("s:stdout", child.stdout, { ...plain(out), timestamps: true }),
    child.status,
  ]);
  offA();
  await hub.close();
  assert.equal(new TextDecoder().decode(concatBytes(a)), "partial line\nnext");
  assert.deepEqual(b, []);
});

Deno.test("OutputHub.relay() applies back-pressure: a FIFO nobody reads stalls the child", async () => {
  await using dir = await tempDir();
  const fifo = `${dir.path}/fifo`;
  await new Deno.Command("mkfifo", { args: [fifo] }).output();
  const total = 20_000_000;
  const hub = new OutputHub();
  let relayed = 0;
  hub.subscribe("f:stdout", (chunk) => relayed += chunk.length);
  const child = sh(`yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c ${total}`);
  const relay = hub.relay("f:stdout", child.stdout, plain(fifo));
  // Open the read end (this lets the hub's open complete) but do not read yet.
  const reader = await Deno.open(fifo, { read: true });
  // Wait until the relay stops making progress.
  let last = -1;
  let stableSince = Date.now();
  await waitFor(() => {
    if (relayed !== last) {
      last = relayed;
      stableSince = Date.now();
    }
    return relayed > 0 && Date.now() - stableSince > 500;
  }, "the relay to stall");
  // At most a FIFO buffer, a pipe buffer and one read buffer in flight: far below the total.
  assert.ok(relayed < 2_000_000, `relayed ${relayed} bytes into a FIFO nobody reads`);
  let exited = false;
  child.status.then(() => exited = true);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(exited, false, "the producer should be blocked on its pipe");
  // Now drain: everything arrives, nothing is lost.
  let received = 0;
  const buffer = new Uint8Array(1 << 16);
  for (;;) {
    const n = await reader.read(buffer);
    if (n === null) break;
    received += n;
    if (received === total) break;
  }
  await Promise.all([relay, child.status]);
  await hub.close(); // closes the write end
  while ((await reader.read(buffer)) !== null) received += 0;
  reader.close();
  assert.equal(received, total);
  assert.equal(relayed, total);
});

Deno.test("OutputHub.relay() reports a failing open and keeps draining the pipe", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/plainfile`, "");
  const errors: string[] = [];
  const hub = new OutputHub({ onError: (m) => errors.push(m) });
  const bad = `${dir.path}/plainfile/sub/x.log`; // a file where a directory should be
  const child = sh("yes | head -c 1000000");
  await Promise.all([hub.relay("e:stdout", child.stdout, plain(bad)), child.status]);
  await hub.close();
  assert.equal(errors.length, 1);
  assert.match(errors[0] ?? "", /plainfile\/sub\/x\.log/);
});

Deno.test("OutputHub.relay() reports a full disk (/dev/full) once and keeps draining", async () => {
  const errors: string[] = [];
  const hub = new OutputHub({ onError: (m) => errors.push(m) });
  const child = sh("yes | head -c 3000000");
  await Promise.all([hub.relay("full:stdout", child.stdout, plain("/dev/full")), child.status]);
  await hub.close();
  assert.equal(errors.length, 1);
  assert.match(errors[0] ?? "", /\/dev\/full/);
});

Deno.test("OutputHub.clear() truncates the current file only", async () => {
  await using dir = await tempDir();
  const out = `${dir.path}/c.log`;
  await Deno.writeTextFile(`${out}.1`, "backup\n");
  const hub = new OutputHub();
  const child = new Deno.Command("sh", {
    args: ["-c", 'while read -r line; do echo "$line"; done'],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const relay = hub.relay("c:stdout", child.stdout, { ...plain(out), maxBytes: 1_000, backups: 3 });
  const stdin = child.stdin.getWriter();
  await stdin.write(new TextEncoder().encode("one\n"));
  await waitFor(async () => (await exists(out)) && (await Deno.stat(out)).size === 4, "one");
  await hub.clear(out);
  await stdin.write(new TextEncoder().encode("two\n"));
  await stdin.close();
  await Promise.all([relay, child.status]);
  await hub.close();
  assert.equal(await Deno.readTextFile(out), "two\n");
  assert.equal(await Deno.readTextFile(`${out}.1`), "backup\n");
  // Not open in the hub: truncated on disk; missing: fine.
  await hub.clear(`${out}.1`);
  assert.equal(await Deno.readTextFile(`${out}.1`), "");
  await hub.clear(`${dir.path}/missing.log`);
});

Deno.test("OutputHub.close() cancels a stream that never ends after the grace period", async () => {
  await using dir = await tempDir();
  const out = `${dir.path}/n.log`;
  const hub = new OutputHub({ closeGraceMs: 50 });
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    type: "bytes",
    start(controller) {
      controller.enqueue(new TextEncoder().encode("held partial"));
    },
    cancel() {
      cancelled = true;
    },
  });
  let read = 0;
  hub.subscribe("n:stdout", (chunk) => (read += chunk.length));
  const relay = hub.relay("n:stdout", stream, plain(out));
  await waitFor(() => read > 0, "the relay to read the partial line");
  await hub.close();
  await relay;
  assert.equal(cancelled, true);
  assert.equal(await Deno.readTextFile(out), "held partial");
  // After close, relays are refused (cancelled at once).
  await hub.relay("late", new ReadableStream<Uint8Array>(), plain(out));
});

Deno.test("OutputHub.relay() accepts a non-byte stream (copying reader)", async () => {
  await using dir = await tempDir();
  const out = `${dir.path}/x.log`;
  const hub = new OutputHub();
  const chunks = ["a", "bc\nd", "e\n", "f"].map((s) => new TextEncoder().encode(s));
  await hub.relay("x", ReadableStream.from(chunks), plain(out));
  await hub.close();
  assert.equal(await Deno.readTextFile(out), "abc\nde\nf");
});

/** A source fed by the test: `push` hands it bytes, `end` is its EOF. */
function pushedSource() {
  const queue: (Uint8Array | null)[] = [];
  let wake: (() => void) | null = null;
  const source: ByteSource = {
    async read(view) {
      while (queue.length === 0) await new Promise<void>((resolve) => wake = resolve);
      const next = queue.shift()!;
      if (next === null) return { chunk: view.subarray(0, 0), done: true };
      view.set(next);
      return { chunk: view.subarray(0, next.length), done: false };
    },
    cancel: () => {
      queue.push(null);
      wake?.();
      return Promise.resolve();
    },
    release() {},
  };
  const feed = (item: Uint8Array | null) => {
    queue.push(item);
    wake?.();
    wake = null;
  };
  return {
    source,
    push: (text: string) => feed(new TextEncoder().encode(text)),
    end: () => feed(null),
  };
}

Deno.test("OutputHub.retarget(): a moved relay, once ended, lets go of the file it ended on, not the one it started on", async () => {
  await using dir = await tempDir();
  const [a, b] = [`${dir.path}/a.log`, `${dir.path}/b.log`];
  const errors: string[] = [];
  const hub = new OutputHub({ onError: (message) => errors.push(message) });
  const size = (path: string) => exists(path).then((yes) => yes ? Deno.statSync(path).size : 0);
  const moved = pushedSource();
  const movedRelay = hub.relay("web:stdout", moved.source, plain(a));
  moved.push("x1\n");
  await waitFor(async () => await size(a) === 3 || null, { what: "x1 in a" });
  await hub.retarget("web:stdout", "web:0:stdout", plain(b));
  moved.push("x2\n");
  await waitFor(async () => await size(b) === 3 || null, { what: "x2 in b" });
  // Another program writes to a, the moved relay ends: a must stay open for it.
  const other = pushedSource();
  const otherRelay = hub.relay("other:stdout", other.source, plain(a));
  other.push("y1\n");
  await waitFor(async () => await size(a) === 6 || null, { what: "y1 in a" });
  moved.end();
  await movedRelay;
  other.push("y2\n");
  other.end();
  await otherRelay;
  // b has no writer left: a new relay of its own there writes a partial line at once.
  const alone = pushedSource();
  const aloneRelay = hub.relay("alone:stdout", alone.source, plain(b));
  alone.push("partial");
  await waitFor(async () => await size(b) === 10 || null, {
    what: "the partial line in b, not held back as if b were shared",
  });
  alone.end();
  await aloneRelay;
  await hub.close();
  assert.equal(await Deno.readTextFile(a), "x1\ny1\ny2\n");
  assert.equal(await Deno.readTextFile(b), "x2\npartial");
  assert.equal(hub.droppedBytes(a), 0);
  assert.deepEqual(errors, []);
});

Deno.test("OutputHub.retarget(): a relay that ends while its new file opens leaves the shared old file open for the others", async () => {
  await using dir = await tempDir();
  const [shared, next] = [`${dir.path}/shared.log`, `${dir.path}/next.log`];
  const errors: string[] = [];
  const hub = new OutputHub({ onError: (message) => errors.push(message) });
  const moved = pushedSource();
  const other = pushedSource();
  const movedRelay = hub.relay("web:stdout", moved.source, plain(shared));
  const otherRelay = hub.relay("other:stdout", other.source, plain(shared));
  other.push("first\n");
  await waitFor(async () => (await exists(shared) && Deno.statSync(shared).size === 6) || null, {
    what: "the shared file open",
  });
  const retargeted = hub.retarget("web:stdout", "web:0:stdout", plain(next));
  moved.end(); // while the new file is being opened
  await Promise.all([retargeted, movedRelay]);
  other.push("second\n");
  other.end();
  await otherRelay;
  await hub.close();
  assert.equal(
    await Deno.readTextFile(shared),
    "first\nsecond\n",
    "no line of the other relay lost",
  );
  assert.equal(hub.droppedBytes(shared), 0);
  assert.deepEqual(errors, []);
});

Deno.test("OutputHub.relay(): a source that fails to let go still ends its relay, and the failure is reported", async () => {
  await using dir = await tempDir();
  const errors: string[] = [];
  const hub = new OutputHub({ onError: (message) => errors.push(message) });
  const fed = pushedSource();
  const source: ByteSource = {
    ...fed.source,
    release() {
      throw new Error("cannot release");
    },
  };
  const relay = hub.relay("web:stdout", source, plain(`${dir.path}/web.log`));
  fed.push("line\n");
  fed.end();
  await relay;
  await hub.close();
  assert.equal(await Deno.readTextFile(`${dir.path}/web.log`), "line\n");
  assert.deepEqual(errors, ['Cannot release the output of "web:stdout": cannot release']);
});
