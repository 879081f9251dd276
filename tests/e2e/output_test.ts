import assert from "node:assert/strict";
import { TestDaemon } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const size = (path: string) => Deno.stat(path).then((s) => s.size).catch(() => -1);

Deno.test("SIGUSR2 reopens log files: after a move, new output goes to a fresh file", async () => {
  await using d = await TestDaemon.start(`
programs:
  ticker:
    cmd: /bin/sh -c 'i=0; while true; do i=$((i+1)); echo "line $i"; sleep 0.02; done'
    starttime: 0
    stdout: ticker.log
`);
  const log = `${d.dir}/ticker.log`;
  await waitFor(async () => (await size(log)) > 0, { what: "first output" });
  await Deno.rename(log, `${log}.old`);
  d.child.kill("SIGUSR2");
  await waitFor(async () => (await size(log)) > 0, { what: "the reopened file" });
  await d.port.stop(["ticker"]);
  const old = (await Deno.readTextFile(`${log}.old`)).trim().split("\n");
  const fresh = (await Deno.readTextFile(log)).trim().split("\n");
  const numbers = [...old, ...fresh].map((l) => Number(l.split(" ")[1]));
  // Every line, once, in order, across the two files.
  assert.deepEqual(numbers, numbers.map((_, i) => i + 1));
});

Deno.test("SIGUSR2 reopens the event log too: after a move, new events go to a fresh file", async () => {
  await using d = await TestDaemon.start(`
programs:
  napper:
    cmd: /bin/sleep 1007.3
    starttime: 0
`);
  const events = `${d.dir}/taskmaster.log`;
  await d.waitState("napper", "RUNNING");
  await waitFor(async () => /spawned: 'napper'/.test(await d.eventLog()), { what: "first events" });
  await Deno.rename(events, `${events}.old`);
  d.child.kill("SIGUSR2");
  // The reopen is asynchronous: keep acting until an event lands in the fresh file.
  await waitFor(async () => {
    await d.port.stop(["napper"]);
    await d.port.start(["napper"]);
    return /stopped: napper/.test(await d.eventLog());
  }, { what: "an event in the reopened file" });
  const old = await Deno.readTextFile(`${events}.old`);
  assert.match(old, /spawned: 'napper'/);
  assert.match(old, /SIGUSR2 received/);
  // Nothing written before the signal reappears in the new file.
  assert.doesNotMatch(await d.eventLog(), /SIGUSR2 received/);
});

Deno.test("a child writing 50 MB is captured whole while status keeps answering", async () => {
  await using d = await TestDaemon.start(`
programs:
  flood:
    cmd: /bin/sh -c "yes 0123456789012345678901234567890123456789012345678 | head -c 50000000"
    starttime: 0
    autostart: false
    autorestart: never
    stdout: flood.log
    stdout_maxbytes: 0
`);
  // A first status call compiles its path (up to ~50 ms here, as long as the
  // whole flood): made before the flood, so the calls counted are the flood's.
  await d.status();
  // Started by the test, so that the flood cannot be over before the first status call.
  await d.port.start(["flood"]);
  let answers = 0;
  await waitFor(async () => {
    await d.status();
    answers++;
    return (await size(`${d.dir}/flood.log`)) === 50_000_000;
  }, { interval: 5, timeout: 60_000, what: "50 MB in the file" });
  assert.ok(answers > 1, `${answers} status answer(s) while 50 MB were captured`);
});

Deno.test("rotation keeps name.1 … name.N whole and loses no line", async () => {
  await using d = await TestDaemon.start(`
programs:
  counter:
    cmd: /bin/sh -c 'seq 1 20000'
    starttime: 0
    autorestart: never
    stdout: count.log
    stdout_maxbytes: 10000
    stdout_backups: 100
`);
  await d.waitState("counter", "EXITED");
  const base = `${d.dir}/count.log`;
  const files = [base];
  for (let i = 1; await size(`${base}.${i}`) >= 0; i++) files.unshift(`${base}.${i}`);
  assert.ok(files.length > 5, `rotated into ${files.length} files`);
  const text = (await Promise.all(files.map((f) => Deno.readTextFile(f)))).join("");
  assert.equal(text, Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join(""));
  for (const f of files) {
    assert.ok((await size(f)) <= 10000, `${f} within maxbytes`);
    assert.ok((await Deno.readTextFile(f)).endsWith("\n"), `${f} ends on a whole line`);
  }
});

Deno.test("timestamps prefix every captured line with an ISO time", async () => {
  await using d = await TestDaemon.start(`
programs:
  stamped:
    cmd: /bin/sh -c 'echo one; echo two'
    starttime: 0
    autorestart: never
    timestamps: true
    stdout: stamped.log
`);
  const text = await waitFor(async () => {
    const t = await Deno.readTextFile(`${d.dir}/stamped.log`).catch(() => "");
    return t.split("\n").length === 3 ? t : null;
  });
  assert.match(text, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z one\n\S+ two\n$/);
});

Deno.test("tail -f through ctl sees lines as they are written, and clear empties the file", async () => {
  await using d = await TestDaemon.start(`
programs:
  ticker:
    cmd: /bin/sh -c 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.05; done'
    starttime: 0
    stdout: ticker.log
`);
  await d.waitState("ticker", "RUNNING");
  const ac = new AbortController();
  const seen: string[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of await d.port.follow("ticker", "stdout", ac.signal)) {
    seen.push(decoder.decode(chunk));
    if (seen.join("").split("\n").length > 4) break;
  }
  ac.abort();
  assert.match(seen.join(""), /tick \d+\n/);
  assert.deepEqual(await d.port.clear(["ticker"]), [{ name: "ticker", ok: true }]);
  assert.ok((await size(`${d.dir}/ticker.log`)) < 200);
  await assert.rejects(
    d.port.tail("nosuch", "stdout", 10),
    (e: Error & { code?: string }) => e.code === "BAD_NAME",
  );
});

Deno.test("tail of a discarded stream says so", async () => {
  await using d = await TestDaemon.start(`
programs:
  quiet:
    cmd: /bin/sleep 1000
    starttime: 0
    stdout: null
`);
  await assert.rejects(d.port.tail("quiet", "stdout", 10), (e: Error & { code?: string }) => {
    assert.equal(e.code, "NO_FILE");
    assert.match(e.message, /discarded/);
    return true;
  });
});

Deno.test("a follower that stops reading a fast producer loses the oldest output, is told how many bytes, then gets the newest; a discarded (`none`) stream can be followed", async () => {
  await using d = await TestDaemon.start(`
programs:
  producer:
    cmd: /usr/bin/yes "line of a fast producer"
    starttime: 0
    stdout: none
`);
  const { pid } = await d.waitState("producer", "RUNNING");
  // What the producer has written so far, from the kernel's count.
  const written = () =>
    Number(Deno.readTextFileSync(`/proc/${pid}/io`).match(/^wchar: (\d+)$/m)?.[1] ?? 0);
  const conn = await Deno.connect({ transport: "unix", path: d.socket });
  try {
    await conn.write(
      new TextEncoder().encode(
        "GET /v1/processes/producer/stdout/follow HTTP/1.1\r\nHost: x\r\n\r\n",
      ),
    );
    // Not reading while the producer writes well past the 1 MiB window.
    const before = written();
    await waitFor(() => written() - before > 8 * 1024 * 1024, { what: "8 MiB more output" });
    const buffer = new Uint8Array(256 * 1024);
    let seen = "";
    let head = "";
    const notice = /\[taskmaster: (\d+) bytes missed: this client read too slowly\]\n/;
    await waitFor(async () => {
      const n = await conn.read(buffer);
      if (n === null) throw new Error(`the follow ended: ${seen.slice(0, 200)}`);
      const text = new TextDecoder().decode(buffer.subarray(0, n));
      if (head === "") head = text;
      seen = (seen + text).slice(-4 * 1024 * 1024);
      return notice.test(seen);
    }, { what: "the missed-bytes notice" });
    assert.match(head, /^HTTP\/1\.1 200 /);
    assert.ok(Number(seen.match(notice)![1]) > 0);
    // After the notice, the newest output follows.
    let after = seen.slice(seen.search(notice)).replace(notice, "");
    await waitFor(async () => {
      const n = await conn.read(buffer);
      if (n !== null) after += new TextDecoder().decode(buffer.subarray(0, n));
      return /(line of a fast producer\n){100}/.test(after);
    }, { what: "output after the notice" });
  } finally {
    conn.close();
  }
  // Nothing was written for the discarded stream.
  assert.deepEqual(
    [...Deno.readDirSync(d.dir)].map((e) => e.name).filter((n) => n.startsWith("none")),
    [],
  );
});
