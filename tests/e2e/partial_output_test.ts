/** Issue 18 end to end: partial lines reach files, tail, tail -f and attach at once. */
import assert from "node:assert/strict";
import { runTaskmaster, taskmasterCommand, TestDaemon } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { collect } from "../_helpers/collect.ts";

const read = (path: string) => Deno.readTextFile(path).catch(() => "");
const encoder = new TextEncoder();
const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;

Deno.test("a prompt is in the file, in tail and in attach while the program waits for input", async () => {
  await using d = await TestDaemon.start(`
programs:
  prompt:
    cmd: [/bin/sh, -c, 'printf "Enter password: "; read pw; echo "got $pw"; sleep 1000.18']
    starttime: 0
    stdout: prompt.log
`);
  await d.waitState("prompt", "RUNNING");
  await waitFor(async () => (await read(`${d.dir}/prompt.log`)) === "Enter password: ", {
    what: "the prompt in the file",
  });
  const tail = await runTaskmaster(["ctl", "-s", d.socket, "tail", "prompt"]);
  assert.equal(tail.stdout, "Enter password: \n");
  assert.equal((await d.info("prompt")).state, "RUNNING");

  const attach = taskmasterCommand(["ctl", "-s", d.socket, "attach", "prompt"], {
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const shown = collect(attach.stdout);
  const errors = collect(attach.stderr);
  const stdin = attach.stdin.getWriter();
  // Attached after the prompt was written: the prompt still waiting is shown.
  await waitFor(() => shown.text.endsWith("<==\nEnter password: "), {
    what: "the prompt in attach",
  });
  await stdin.write(encoder.encode("secret\n"));
  await waitFor(() => shown.text.includes("Enter password: got secret\n"), { what: "the answer" });
  await stdin.close();
  await attach.status;
  await shown.done;
  await errors.done;
  assert.equal(errors.text, "");
  assert.equal(await read(`${d.dir}/prompt.log`), "Enter password: got secret\n");
});

Deno.test("50 MB without a newline is byte-exact in the file while the program still runs", async () => {
  const total = 50_000_000;
  await using d = await TestDaemon.start(`
programs:
  blob:
    cmd: ${Deno.execPath()} run --quiet ${fixture("blob_writer.ts")} ${total} 7 100000
    starttime: 0
    stdout: blob.log
    stdout_maxbytes: 0
`);
  const log = `${d.dir}/blob.log`;
  await waitFor(async () => (await Deno.stat(log).catch(() => null))?.size === total, {
    timeout: 60_000,
    what: "50 MB in the file",
  });
  assert.equal((await d.info("blob")).state, "RUNNING");
  const bytes = await Deno.readFile(log);
  for (let i = 0; i < total; i++) {
    if (bytes[i] !== 97 + (i % 26)) assert.fail(`byte ${i} differs`);
  }
});

Deno.test("two programs sharing one file never interleave inside a line", async () => {
  const count = 3_000;
  const writer = (name: string, seed: number) =>
    `${Deno.execPath()} run --quiet ${fixture("line_pieces.ts")} ${name} ${count} ${seed}`;
  await using d = await TestDaemon.start(`
programs:
  one:
    cmd: ${writer("A", 1)}
    starttime: 0
    autorestart: never
    stdout: shared.log
    flush_partial_after: 1 # longer than any gap between a line's pieces, even on a loaded machine
  two:
    cmd: ${writer("B", 2)}
    starttime: 0
    autorestart: never
    stdout: shared.log
    flush_partial_after: 1
`);
  await d.waitState("one", "EXITED", 60_000);
  await d.waitState("two", "EXITED", 60_000);
  const next = { A: 0, B: 0 };
  const text = await waitFor(async () => {
    const t = await read(`${d.dir}/shared.log`);
    return t.split("\n").length === 2 * count + 1 ? t : null;
  }, { what: "every line" });
  for (const line of text.slice(0, -1).split("\n")) {
    const match = /^([AB]) (\d+) (p*)$/.exec(line);
    assert.ok(match, `a line was cut into: ${JSON.stringify(line.slice(0, 80))}`);
    const name = match[1] as "A" | "B";
    assert.equal(Number(match[2]), next[name]++);
  }
  assert.deepEqual(next, { A: count, B: count });
});

Deno.test("tail -f shows a partial line and carriage-return progress as they happen", async () => {
  await using d = await TestDaemon.start(`
programs:
  bar:
    cmd: /bin/sh -c 'printf "working"; read x; for i in 1 2 3; do printf "\\rprogress $i"; read x; done; echo; sleep 1000.18'
    starttime: 0
    stdout: bar.log
`);
  await d.waitState("bar", "RUNNING");
  await waitFor(async () => (await read(`${d.dir}/bar.log`)) === "working", { what: "working" });
  const tail = taskmasterCommand(["ctl", "-s", d.socket, "tail", "-f", "bar"], {
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const shown = collect(tail.stdout);
  // The last line so far is shown without a newline: its rest follows.
  await waitFor(() => shown.text === "working", { what: "the partial line in tail -f" });
  let expected = "working";
  for (const i of [1, 2, 3]) {
    await d.port.sendStdin("bar", encoder.encode("\n"));
    expected += `\rprogress ${i}`;
    await waitFor(() => shown.text === expected, { what: `progress ${i} in tail -f` });
  }
  await d.port.sendStdin("bar", encoder.encode("\n"));
  await waitFor(() => shown.text === `${expected}\n`, { what: "the newline" });
  tail.kill("SIGINT");
  await tail.status;
  await shown.done;
  assert.equal(await read(`${d.dir}/bar.log`), `${expected}\n`);
});
