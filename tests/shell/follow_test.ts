import assert from "node:assert/strict";
import { TaskmasterError } from "../../src/util/errors.ts";
import { runCommand } from "../../src/shell/commands.ts";
import { QueueLineSource } from "../../src/shell/line_source.ts";
import { CapturedOutput, FakePort, proc } from "../_helpers/fake_port.ts";

async function run(
  port: FakePort,
  argv: string[],
  extra: { signal?: AbortSignal; input?: QueueLineSource } = {},
) {
  const output = new CapturedOutput();
  const outcome = await runCommand({ port, output, mode: "remote", ...extra }, argv);
  return { ...outcome, stdout: output.stdout, stderr: output.stderr };
}

const procs = () => [proc("web:0", "RUNNING"), proc("web:1", "RUNNING"), proc("job", "STOPPED")];

/** The shared fake, with tail and log answers that show what was asked. */
function fakePort(): FakePort {
  const port = new FakePort(procs());
  port.answers.tail = (_name: string, stream: string, lines: number) =>
    `last ${lines} of ${stream}\n`;
  port.answers.logTail = "log line\n";
  return port;
}

Deno.test("tail prints the last 10 lines of stdout by default", async () => {
  const port = fakePort();
  const r = await run(port, ["tail", "web:0"]);
  assert.equal(r.stdout, "last 10 of stdout\n");
  assert.equal(r.exitCode, 0);
  assert.deepEqual(port.callsOf("tail"), [["web:0", "stdout", 10]]);
});

Deno.test("tail takes -n LINES, -nLINES, -LINES and a stream", async () => {
  const port = fakePort();
  await run(port, ["tail", "-n", "50", "web:0", "stderr"]);
  await run(port, ["tail", "web:1", "-n5"]);
  await run(port, ["tail", "-3", "job", "stdout"]);
  assert.deepEqual(port.callsOf("tail"), [
    ["web:0", "stderr", 50],
    ["web:1", "stdout", 5],
    ["job", "stdout", 3],
  ]);
});

Deno.test("tail adds a final newline to a partial last line, prints nothing for empty", async () => {
  const port = fakePort();
  port.answers.tail = "no newline";
  assert.equal((await run(port, ["tail", "job"])).stdout, "no newline\n");
  port.answers.tail = "";
  assert.equal((await run(port, ["tail", "job"])).stdout, "");
});

Deno.test("tail usage errors exit 2", async () => {
  const port = fakePort();
  for (
    const argv of [
      ["tail"],
      ["tail", "web:0", "stdin"],
      ["tail", "-n", "many", "web:0"],
      ["tail", "-x", "web:0"],
      ["tail", "web:0", "stdout", "more"],
    ]
  ) {
    const r = await run(port, argv);
    assert.equal(r.exitCode, 2, argv.join(" "));
    assert.match(
      r.stderr,
      /^Error: .*\nUsage: tail \[-f\] \[-n LINES\] name \[stdout\|stderr\]\n$/,
    );
  }
  assert.deepEqual(port.callsOf("tail"), []);
});

Deno.test("tail of an unknown name or a discarded stream prints one ERROR line, exit 1", async () => {
  const port = fakePort();
  let r = await run(port, ["tail", "ghost"]);
  assert.equal(r.stdout, "ghost: ERROR (no such process)\n");
  assert.equal(r.exitCode, 1);
  port.errors.tail = new TaskmasterError("NO_FILE", "stdout of web:0 is discarded");
  r = await run(port, ["tail", "web:0"]);
  assert.equal(r.stdout, "web:0: ERROR (no log file: output is discarded)\n");
  assert.equal(r.exitCode, 1);
});

Deno.test("tail -f follows until the signal aborts", async () => {
  const port = fakePort();
  port.followChunks["web:0/stderr"] = ["one\ntw", "o\nthree"];
  const controller = new AbortController();
  port.onFollow = () => setTimeout(() => controller.abort(), 20);
  const r = await run(port, ["tail", "-f", "web:0", "stderr"], { signal: controller.signal });
  assert.equal(r.exitCode, 0);
  // The open last line is closed so the next prompt starts on its own line.
  assert.equal(r.stdout, "last 10 of stderr\none\ntwo\nthree\n");
  assert.deepEqual(port.callsOf("follow"), [["web:0", "stderr"]]);
});

Deno.test("log prints the event log; -f follows it", async () => {
  const port = fakePort();
  let r = await run(port, ["log", "-n", "3"]);
  assert.equal(r.stdout, "log line\n");
  assert.deepEqual(port.callsOf("logTail"), [[3]]);
  port.logLines = ["a: RUNNING", "b: EXITED\n"];
  const controller = new AbortController();
  port.onFollow = () => setTimeout(() => controller.abort(), 20);
  r = await run(port, ["log", "-f"], { signal: controller.signal });
  assert.equal(r.stdout, "log line\na: RUNNING\nb: EXITED\n");
  assert.equal(r.exitCode, 0);
  assert.equal((await run(port, ["log", "extra"])).exitCode, 2);
});

Deno.test("attach streams output, forwards typed lines, detaches on Ctrl-C", async () => {
  const port = fakePort();
  port.followChunks["web:1/stdout"] = ["hello\n"];
  port.followChunks["web:1/stderr"] = ["warn\n"];
  const input = new QueueLineSource();
  const controller = new AbortController();
  input.push("first line");
  input.push("second");
  // Ctrl-C once both lines have gone to the process.
  const sent = port.sendStdin.bind(port);
  port.sendStdin = async (name, data) => {
    await sent(name, data);
    if (port.stdin.length === 2) setTimeout(() => controller.abort(), 10);
  };
  const r = await run(port, ["attach", "web:1"], { signal: controller.signal, input });
  assert.equal(r.exitCode, 0);
  assert.equal(
    r.stdout,
    "==> attached to web:1; Ctrl-C detaches <==\nhello\n==> detached from web:1 <==\n",
  );
  assert.equal(r.stderr, "warn\n");
  assert.deepEqual(port.stdinText(), [
    { name: "web:1", text: "first line\n" },
    { name: "web:1", text: "second\n" },
  ]);
  // Detaching stops nothing.
  assert.deepEqual(port.callsOf("stop"), []);
});

Deno.test("attach detaches at end of input", async () => {
  const port = fakePort();
  const input = new QueueLineSource();
  input.push("x");
  input.end();
  const r = await run(port, ["attach", "web:0"], { signal: new AbortController().signal, input });
  assert.equal(r.exitCode, 0);
  assert.deepEqual(port.stdinText(), [{ name: "web:0", text: "x\n" }]);
  assert.match(r.stdout, /==> detached from web:0 <==\n$/);
});

Deno.test("attach needs a live process, a known name and a single instance", async () => {
  const port = fakePort();
  const signal = new AbortController().signal;
  const input = new QueueLineSource();
  let r = await run(port, ["attach", "job"], { signal, input });
  assert.equal(r.stderr, "ERROR: process not running\n");
  assert.equal(r.exitCode, 1);
  r = await run(port, ["attach", "ghost"], { signal, input });
  assert.equal(r.stdout, "ghost: ERROR (no such process)\n");
  assert.equal(r.exitCode, 1);
  r = await run(port, ["attach", "web"], { signal, input });
  assert.equal(r.exitCode, 1);
  assert.equal(r.stdout, "web names 2 instances: web:0, web:1\n");
  assert.equal((await run(port, ["attach"], { signal, input })).exitCode, 2);
  assert.deepEqual(port.callsOf("follow"), []);
});

Deno.test("attach stays attached when the process is briefly not running", async () => {
  const port = fakePort();
  port.errors.sendStdin = new TaskmasterError("NOT_RUNNING", "web:0 is not running");
  const input = new QueueLineSource();
  input.push("lost");
  input.end();
  const r = await run(port, ["attach", "web:0"], { signal: new AbortController().signal, input });
  assert.equal(r.stderr, "ERROR: process not running\n");
  assert.equal(r.exitCode, 0);
});
