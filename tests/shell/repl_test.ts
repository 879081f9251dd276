import assert from "node:assert/strict";
import { waitFor } from "../_helpers/wait_for.ts";
import { PassThrough } from "node:stream";
import type { ShellContext } from "../../src/shell/command.ts";
import { runInteractive } from "../../src/shell/_interactive.ts";
import { appendHistory, loadHistory } from "../../src/shell/history.ts";
import { runShell } from "../../src/shell/repl.ts";
import { CapturedOutput, FakePort, proc } from "../_helpers/fake_port.ts";

/** A byte stream of `text`, delivered in small chunks to exercise line splitting. */
function piped(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + 7));
      at += 7;
    },
  });
}

function context(port: FakePort, mode: ShellContext["mode"], signal?: AbortSignal) {
  const output = new CapturedOutput();
  return { ctx: { port, output, mode, signal } as ShellContext, output };
}

const procs = () => [proc("web", "RUNNING"), proc("job", "STOPPED")];

Deno.test("runShell() piped: runs lines in order, skips blanks and comments, no prompt", async () => {
  const port = new FakePort(procs());
  const { ctx, output } = context(port, "remote");
  const code = await runShell(ctx, {
    stdin: piped("# setup\n\nstart job\r\n   \nstop 'web'\nversion"),
  });
  assert.equal(code, 0);
  assert.equal(output.stdout, "job: started\nweb: stopped\n0.1.0\n");
  assert.equal(output.stderr, "");
  assert.deepEqual(
    port.calls.map((c) => c.method),
    ["start", "stop", "version"],
  );
});

Deno.test("runShell() piped: end of input means shutdown in local mode", async () => {
  const port = new FakePort(procs());
  const { ctx, output } = context(port, "local");
  const code = await runShell(ctx, { stdin: piped("status job\n") });
  // The implied shutdown is the last command.
  assert.equal(code, 0);
  assert.match(output.stdout, /^job +STOPPED +Not started\nShut down\n$/);
  assert.equal(port.callsOf("shutdown").length, 1);
});

Deno.test("runShell() piped: remote mode just returns the last exit code at EOF", async () => {
  const port = new FakePort(procs());
  const { ctx } = context(port, "remote");
  assert.equal(await runShell(ctx, { stdin: piped("version\nstatus\n") }), 3);
  assert.equal(port.callsOf("shutdown").length, 0);
  assert.equal(await runShell(ctx, { stdin: piped("") }), 0);
});

Deno.test("runShell() piped: quit stops reading; errors do not stop the shell", async () => {
  const port = new FakePort(procs());
  const { ctx, output } = context(port, "remote");
  const code = await runShell(ctx, {
    stdin: piped("bogus\nsignal 'HUP\nstart ghost\nquit\nstop web\n"),
  });
  assert.equal(code, 0);
  assert.equal(
    output.stderr,
    "*** Unknown syntax: bogus\ntype help for the commands\nError: No closing quotation\n",
  );
  assert.equal(output.stdout, "ghost: ERROR (no such process)\n");
  assert.deepEqual(port.callsOf("stop"), []);
});

Deno.test("runShell() piped: shutdown ends the loop in local mode, once", async () => {
  const port = new FakePort(procs());
  const { ctx, output } = context(port, "local");
  assert.equal(await runShell(ctx, { stdin: piped("shutdown\nstatus\n") }), 0);
  assert.equal(output.stdout, "Shut down\n");
  assert.equal(port.callsOf("shutdown").length, 1);
  assert.equal(port.callsOf("status").length, 0);
});

Deno.test("runShell() piped: attach forwards the following lines until EOF", async () => {
  const port = new FakePort(procs());
  const { ctx, output } = context(port, "remote", new AbortController().signal);
  await runShell(ctx, { stdin: piped("attach web\nhello\nworld\n") });
  assert.deepEqual(port.stdinText(), [
    { name: "web", text: "hello\n" },
    { name: "web", text: "world\n" },
  ]);
  assert.match(output.stdout, /==> detached from web <==\n$/);
});

Deno.test("runShell() returns without a shutdown when its signal aborts", async () => {
  const port = new FakePort(procs());
  const controller = new AbortController();
  const { ctx } = context(port, "local", controller.signal);
  // A stream that never ends: only the abort can stop the shell.
  const stdin = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode("version\n"));
    },
  });
  const done = runShell(ctx, { stdin });
  setTimeout(() => controller.abort(), 20);
  assert.equal(await done, 0);
  assert.equal(port.callsOf("shutdown").length, 0);
  assert.equal(port.callsOf("version").length, 1);
});

// ---- history ------------------------------------------------------------------

Deno.test("loadHistory() / appendHistory() keep the last lines across runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/history`;
    assert.deepEqual(loadHistory(file), []);
    for (let i = 0; i < 12; i++) appendHistory(file, `cmd ${i}`);
    assert.deepEqual(loadHistory(file, 100).slice(0, 2), ["cmd 0", "cmd 1"]);
    // Over the cap: the file itself is trimmed to the newest lines.
    assert.deepEqual(loadHistory(file, 5), ["cmd 7", "cmd 8", "cmd 9", "cmd 10", "cmd 11"]);
    assert.equal(await Deno.readTextFile(file), "cmd 7\ncmd 8\ncmd 9\ncmd 10\ncmd 11\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---- the readline REPL, driven through a fake terminal -----------------------------

function terminal() {
  const keys = new PassThrough();
  const screen = new PassThrough();
  let drawn = "";
  screen.on("data", (chunk: Uint8Array) => drawn += new TextDecoder().decode(chunk));
  return { keys, screen, drawn: () => drawn };
}

Deno.test("runInteractive(): prompt, commands, Ctrl-C clears, Ctrl-D shuts down (local)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const historyFile = `${dir}/history`;
    await Deno.writeTextFile(historyFile, "status job\n");
    const port = new FakePort(procs());
    const { ctx, output } = context(port, "local");
    const term = terminal();
    const done = runInteractive(ctx, { historyFile, input: term.keys, output: term.screen });

    await waitFor(() => term.drawn().includes("taskmaster> "), "the prompt");
    term.keys.write("version\r");
    await waitFor(() => output.stdout.includes("0.1.0\n"), "version's output");

    // Ctrl-C drops a half-typed line: the next Enter runs nothing.
    term.keys.write("stop web\x03");
    await waitFor(() => term.drawn().includes("^C"), "the ^C echo");
    term.keys.write("\r");

    // Up twice: the line before `version` came from the history file.
    term.keys.write("\x1b[A\x1b[A\r");
    // (The first status call, without names, is the completer's prefetch.)
    await waitFor(() => port.callsOf("status").length === 2, "status from history");
    assert.deepEqual(port.callsOf("status"), [[undefined], [["job"]]]);

    // Tab completion lists the candidates.
    term.keys.write("sta\t");
    await new Promise((r) => setTimeout(r, 50));
    term.keys.write("\t");
    await waitFor(() => term.drawn().includes("start") && term.drawn().includes("status"), "tab");
    term.keys.write("\x05\x15"); // Ctrl-E, Ctrl-U: clear the line

    term.keys.write("\x04"); // Ctrl-D on an empty line
    assert.equal(await done, 0);
    assert.equal(port.callsOf("shutdown").length, 1);
    assert.deepEqual(port.callsOf("stop"), []);
    assert.match(output.stdout, /Shut down\n$/);
    assert.equal(
      await Deno.readTextFile(historyFile),
      "status job\nversion\nstatus job\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runInteractive(): Ctrl-C ends tail -f, not the shell; Ctrl-D leaves (remote)", async () => {
  const port = new FakePort(procs());
  port.followChunks["web/stdout"] = ["live\n"];
  const { ctx, output } = context(port, "remote");
  const term = terminal();
  const done = runInteractive(ctx, { input: term.keys, output: term.screen });
  term.keys.write("tail -f web\r");
  await waitFor(() => output.stdout.includes("live\n"), "followed output");
  // Ctrl-D while a command runs is dropped: it must not end the shell.
  term.keys.write("\x04");
  term.keys.write("\x03");
  await waitFor(() => term.drawn().split("taskmaster> ").length >= 3, "a new prompt");
  term.keys.write("version\r");
  await waitFor(() => output.stdout.includes("0.1.0"), "version after the follow");
  term.keys.write("\x04");
  assert.equal(await done, 0);
  assert.equal(port.callsOf("shutdown").length, 0);
});

Deno.test("runInteractive(): attach sends typed lines, Ctrl-C detaches", async () => {
  const port = new FakePort(procs());
  const { ctx, output } = context(port, "remote");
  const term = terminal();
  const done = runInteractive(ctx, { input: term.keys, output: term.screen });
  term.keys.write("attach web\r");
  await waitFor(() => output.stdout.includes("==> attached to web"), "attach banner");
  term.keys.write("ping\r");
  await waitFor(() => port.stdin.length === 1, "stdin write");
  term.keys.write("\x03");
  await waitFor(() => output.stdout.includes("==> detached from web <=="), "detach");
  term.keys.write("quit\r");
  assert.equal(await done, 0);
  assert.deepEqual(port.stdinText(), [{ name: "web", text: "ping\n" }]);
});

Deno.test("runInteractive(): top redraws until any key, which goes to top, not to the prompt", async () => {
  const port = new FakePort(procs());
  const { ctx, output } = context(port, "remote");
  const term = terminal();
  const done = runInteractive(ctx, { input: term.keys, output: term.screen });
  term.keys.write("top\r");
  await waitFor(() => output.stdout.split("press any key").length >= 3, "two frames of top");
  term.keys.write("q");
  await waitFor(() => term.drawn().split("taskmaster> ").length >= 3, "the prompt again");
  term.keys.write("version\r");
  await waitFor(() => output.stdout.includes("0.1.0"), "version after top");
  assert.doesNotMatch(output.stderr, /Unknown syntax: qversion/, "the key was not typed ahead");
  term.keys.write("\x04");
  assert.equal(await done, 0);
});

Deno.test("runInteractive(): exit in the remote shell leaves without drawing another prompt", async () => {
  const port = new FakePort(procs());
  const { ctx } = context(port, "remote");
  const term = terminal();
  const done = runInteractive(ctx, { input: term.keys, output: term.screen });
  await waitFor(() => term.drawn().includes("taskmaster> "), "the prompt");
  term.keys.write("exit\r");
  assert.equal(await done, 0);
  // One prompt, the one `exit` was typed at; nothing after the command's echo.
  assert.equal(term.drawn().split("taskmaster> ").length - 1, 1, JSON.stringify(term.drawn()));
  assert.doesNotMatch(term.drawn(), /exit[\s\S]*taskmaster> /);
});
