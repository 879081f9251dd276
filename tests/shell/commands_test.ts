import assert from "node:assert/strict";
import { TaskmasterError } from "../../src/util/errors.ts";
import { COMMAND_NAMES, runCommand } from "../../src/shell/commands.ts";
import type { ShellContext } from "../../src/shell/command.ts";
import { CapturedOutput, FakePort, proc } from "../_helpers/fake_port.ts";

/** Runs one command against `port`; returns the outcome and what was printed. */
async function run(
  port: FakePort,
  argv: string[],
  mode: ShellContext["mode"] = "remote",
) {
  const output = new CapturedOutput();
  const outcome = await runCommand({ port, output, mode }, argv);
  return { ...outcome, stdout: output.stdout, stderr: output.stderr };
}

const web = () => [proc("web:0", "RUNNING"), proc("web:1", "RUNNING")];
const pad = (name: string) => name.padEnd(33);

// ---- status ---------------------------------------------------------------

Deno.test("status prints the table and exits 0 when everything runs", async () => {
  const r = await run(new FakePort(web()), ["status"]);
  assert.equal(r.exitCode, 0);
  assert.equal(
    r.stdout,
    `${pad("web:0")}RUNNING   pid 1000, uptime 0:01:02\n` +
      `${pad("web:1")}RUNNING   pid 1001, uptime 0:01:02\n`,
  );
  assert.equal(r.stderr, "");
});

Deno.test("status exits 0 only when every shown process is RUNNING, else 3", async () => {
  const port = new FakePort([...web(), proc("job", "EXITED"), proc("boot", "STARTING")]);
  assert.equal((await run(port, ["status"])).exitCode, 3);
  assert.equal((await run(port, ["status", "web"])).exitCode, 0);
  assert.equal((await run(port, ["status", "boot"])).exitCode, 3);
  for (const state of ["STOPPED", "FATAL", "UNKNOWN", "BACKOFF", "STOPPING"] as const) {
    assert.equal((await run(new FakePort([proc("x", state)]), ["status"])).exitCode, 3, state);
  }
});

Deno.test("status passes names to the port", async () => {
  const port = new FakePort(web());
  await run(port, ["status", "web:1"]);
  await run(port, ["status"]);
  assert.deepEqual(port.callsOf("status"), [[["web:1"]], [undefined]]);
});

Deno.test("status with an unknown name prints the error line first, the rest, exit 4", async () => {
  const port = new FakePort([...web(), proc("job", "STOPPED")]);
  const r = await run(port, ["status", "nosuch", "web:0", "job"]);
  assert.equal(r.exitCode, 4);
  assert.equal(
    r.stdout,
    "nosuch: ERROR (no such process)\n" +
      `${pad("web:0")}RUNNING   pid 1000, uptime 0:01:02\n` +
      `${pad("job")}STOPPED   Not started\n`,
  );
});

Deno.test("status --json prints ProcessInfo objects; unknown names go to stderr", async () => {
  const port = new FakePort(web());
  const r = await run(port, ["status", "--json"]);
  assert.equal(r.exitCode, 0);
  assert.ok(r.stdout.endsWith("\n"));
  assert.deepEqual(JSON.parse(r.stdout), web());
  const bad = await run(port, ["status", "--json", "web:1", "zz"]);
  assert.equal(bad.exitCode, 4);
  assert.deepEqual(JSON.parse(bad.stdout).map((p: { name: string }) => p.name), ["web:1"]);
  assert.equal(bad.stderr, "zz: ERROR (no such process)\n");
});

Deno.test("status exits 4 when the daemon cannot be reached", async () => {
  const port = new FakePort();
  port.errors.status = new TypeError("error sending request: connection refused");
  const r = await run(port, ["status"]);
  assert.equal(r.exitCode, 4);
  assert.equal(r.stderr, "Error: error sending request: connection refused\n");
  assert.equal(r.stdout, "");
});

Deno.test("status rejects an unknown option with its usage, exit 2", async () => {
  const r = await run(new FakePort(), ["status", "--yaml"]);
  assert.equal(r.exitCode, 2);
  assert.equal(r.stderr, "Error: status: unknown option --yaml\nUsage: status [--json] [name…]\n");
});

// ---- start / stop / restart ---------------------------------------------------

Deno.test("start prints one line per instance, exit 0", async () => {
  const port = new FakePort([proc("web:0", "STOPPED"), proc("web:1", "STOPPED")]);
  const r = await run(port, ["start", "web"]);
  assert.equal(r.stdout, "web:0: started\nweb:1: started\n");
  assert.equal(r.exitCode, 0);
  assert.deepEqual(port.callsOf("start"), [[["web"]]]);
});

Deno.test("start without a name is a usage error, exit 2", async () => {
  const port = new FakePort(web());
  const r = await run(port, ["start"]);
  assert.equal(r.exitCode, 2);
  assert.equal(
    r.stderr,
    "Error: start requires a process name\nUsage: start [--no-deps] <name…|all>\n",
  );
  assert.deepEqual(port.callsOf("start"), []);
  assert.equal(
    (await run(port, ["stop"])).stderr.split("\n")[0],
    "Error: stop requires a process name",
  );
});

Deno.test("start maps failures: already started is fine, spawn error exits 7", async () => {
  const port = new FakePort([proc("a", "RUNNING"), proc("b", "BACKOFF")]);
  port.answers.start = [{
    name: "a",
    ok: false,
    error: { code: "ALREADY_STARTED", message: "already" },
  }];
  let r = await run(port, ["start", "a"]);
  assert.equal(r.stdout, "a: ERROR (already started)\n");
  assert.equal(r.exitCode, 0);

  port.answers.start = [
    { name: "a", ok: true },
    { name: "b", ok: false, error: { code: "SPAWN_ERROR", message: "can't find command" } },
  ];
  r = await run(port, ["start", "all"]);
  assert.equal(r.stdout, "a: started\nb: ERROR (spawn error)\n");
  assert.equal(r.exitCode, 7);

  port.answers.start = [{
    name: "b",
    ok: false,
    error: { code: "ABNORMAL_TERMINATION", message: "" },
  }];
  r = await run(port, ["start", "b"]);
  assert.equal(r.stdout, "b: ERROR (abnormal termination)\n");
  assert.equal(r.exitCode, 7);
});

Deno.test("start with unknown names reports them and still starts the others, exit 1", async () => {
  const port = new FakePort([proc("web:0", "RUNNING"), proc("web:1", "STOPPED")]);
  const r = await run(port, ["start", "nope", "web:1"]);
  assert.equal(r.stdout, "nope: ERROR (no such process)\nweb:1: started\n");
  assert.equal(r.exitCode, 1);
  // One call: the port answers name by name (no second call for the known names).
  assert.deepEqual(port.callsOf("start"), [[["nope", "web:1"]]]);
  assert.deepEqual(port.options, [{ perName: true }]);
});

Deno.test("start with only unknown names does not call start again", async () => {
  const port = new FakePort(web());
  const r = await run(port, ["start", "x", "y"]);
  assert.equal(r.stdout, "x: ERROR (no such process)\ny: ERROR (no such process)\n");
  assert.equal(r.exitCode, 1);
  assert.equal(port.callsOf("start").length, 1);
});

Deno.test("stop prints stopped; not running is no failure (exit 0)", async () => {
  const port = new FakePort(web());
  let r = await run(port, ["stop", "web:0"]);
  assert.equal(r.stdout, "web:0: stopped\n");
  assert.equal(r.exitCode, 0);
  port.answers.stop = [{ name: "web:1", ok: false, error: { code: "NOT_RUNNING", message: "" } }];
  r = await run(port, ["stop", "web:1"]);
  assert.equal(r.stdout, "web:1: ERROR (not running)\n");
  assert.equal(r.exitCode, 0);
});

Deno.test("stop reports an abnormal termination, exit 7", async () => {
  const port = new FakePort(web());
  port.answers.stop = [{
    name: "web:0",
    ok: false,
    error: { code: "ABNORMAL_TERMINATION", message: "" },
  }];
  const r = await run(port, ["stop", "web:0"]);
  assert.equal(r.stdout, "web:0: ERROR (abnormal termination)\n");
  assert.equal(r.exitCode, 7);
});

Deno.test("restart: stopped then started for a running instance, started alone for a stopped one", async () => {
  const port = new FakePort([proc("web:0", "RUNNING"), proc("web:1", "STOPPED")]);
  port.answers.restart = [{ name: "web:0", ok: true }, { name: "web:1", ok: true }];
  const r = await run(port, ["restart", "web"]);
  assert.equal(r.stdout, "web:0: stopped\nweb:0: started\nweb:1: started\n");
  assert.doesNotMatch(r.stdout, /not running/);
  assert.equal(r.exitCode, 0);
  port.answers.restart = [
    { name: "web:0", ok: false, error: { code: "SPAWN_ERROR", message: "" } },
  ];
  const bad = await run(port, ["restart", "web:0"]);
  assert.equal(bad.stdout, "web:0: stopped\nweb:0: ERROR (spawn error)\n");
  assert.equal(bad.exitCode, 7);
  assert.equal((await run(port, ["restart"])).exitCode, 2);
});

// ---- signal -----------------------------------------------------------------

Deno.test("signal sends the signal and prints signalled", async () => {
  const port = new FakePort(web());
  const r = await run(port, ["signal", "HUP", "web"]);
  assert.equal(r.stdout, "web:0: signalled\nweb:1: signalled\n");
  assert.equal(r.exitCode, 0);
  assert.deepEqual(port.callsOf("signal"), [["HUP", ["web"]]]);
});

Deno.test("signal: bad signal name per process, not running exits 7", async () => {
  const port = new FakePort(web());
  port.badSignals.add("FOO");
  let r = await run(port, ["signal", "FOO", "web:0", "web:1"]);
  assert.equal(r.stdout, "web:0: ERROR (bad signal name)\nweb:1: ERROR (bad signal name)\n");
  assert.equal(r.exitCode, 1);
  r = await run(port, ["signal", "FOO", "all"]);
  assert.equal(r.stdout, "web:0: ERROR (bad signal name)\nweb:1: ERROR (bad signal name)\n");

  port.answers.signal = [{ name: "web:0", ok: false, error: { code: "NOT_RUNNING", message: "" } }];
  r = await run(port, ["signal", "TERM", "web:0"]);
  assert.equal(r.stdout, "web:0: ERROR (not running)\n");
  assert.equal(r.exitCode, 7);
});

Deno.test("signal needs a signal and a name", async () => {
  for (const argv of [["signal"], ["signal", "HUP"]]) {
    const r = await run(new FakePort(web()), argv);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /^Error: signal requires a signal name and a process name\n/);
  }
});

// ---- pid, clear, version ------------------------------------------------------

Deno.test("pid prints the daemon's pid, a child's, 0 when not running, name-pid pairs for all", async () => {
  const port = new FakePort([...web(), proc("job", "STOPPED")]);
  assert.deepEqual(await run(port, ["pid"]), { exitCode: 0, stdout: "4242\n", stderr: "" });
  let r = await run(port, ["pid", "web:1"]);
  assert.equal(r.stdout, "1001\n");
  assert.equal(r.exitCode, 0);
  r = await run(port, ["pid", "job"]);
  assert.equal(r.stdout, "0\n");
  assert.equal(r.exitCode, 7);
  r = await run(port, ["pid", "all"]);
  assert.equal(r.stdout, "web:0 1000\nweb:1 1001\njob 0\n");
  assert.equal(r.exitCode, 0);
  r = await run(port, ["pid", "ghost"]);
  assert.equal(r.stdout, "ghost: ERROR (no such process)\n");
  assert.equal(r.exitCode, 1);
});

Deno.test("clear prints cleared per instance", async () => {
  const port = new FakePort(web());
  const r = await run(port, ["clear", "all"]);
  assert.equal(r.stdout, "web:0: cleared\nweb:1: cleared\n");
  assert.equal(r.exitCode, 0);
  assert.equal((await run(port, ["clear"])).exitCode, 2);
});

Deno.test("version prints the port's version", async () => {
  const r = await run(new FakePort(), ["version"]);
  assert.equal(r.stdout, "0.1.0\n");
  assert.equal(r.exitCode, 0);
});

// ---- reload -------------------------------------------------------------------

Deno.test("reload prints the report like supervisorctl update", async () => {
  const port = new FakePort();
  port.answers.reload = {
    added: ["new"],
    changed: ["web"],
    updated: ["api"],
    removed: ["old"],
    unchanged: ["db"],
  };
  const r = await run(port, ["reload"]);
  assert.equal(
    r.stdout,
    "old: removed\nweb: changed (restarted)\napi: updated (no restart)\nnew: added\n",
  );
  assert.equal(r.exitCode, 0);
  delete port.answers.reload;
  assert.equal((await run(port, ["reload"])).stdout, "No config updates to processes\n");
});

Deno.test("reload with a bad config prints every issue and exits 2", async () => {
  const port = new FakePort();
  port.errors.reload = new TaskmasterError(
    "BAD_CONFIG",
    'f.yaml:3:5: programs.web.numprocs: expected an integer >= 1, got "two"\n' +
      "f.yaml:9:3: programs.api: unknown key bogus\n",
  );
  const r = await run(port, ["reload"]);
  assert.equal(r.exitCode, 2);
  assert.equal(r.stdout, "");
  assert.equal(
    r.stderr,
    'f.yaml:3:5: programs.web.numprocs: expected an integer >= 1, got "two"\n' +
      "f.yaml:9:3: programs.api: unknown key bogus\n",
  );
});

// ---- shutdown / quit / exit ------------------------------------------------------

Deno.test("shutdown prints Shut down and quits", async () => {
  const port = new FakePort();
  const r = await run(port, ["shutdown"]);
  assert.deepEqual(r, { exitCode: 0, quit: true, stdout: "Shut down\n", stderr: "" });
  assert.equal(port.callsOf("shutdown").length, 1);
});

Deno.test("quit and exit shut down in local mode, just leave in remote mode", async () => {
  for (const word of ["quit", "exit"]) {
    const local = new FakePort();
    const r = await run(local, [word], "local");
    assert.equal(r.quit, true);
    assert.equal(r.stdout, "Shut down\n");
    assert.equal(local.callsOf("shutdown").length, 1);

    const remote = new FakePort();
    const q = await run(remote, [word], "remote");
    assert.deepEqual(q, { exitCode: 0, quit: true, stdout: "", stderr: "" });
    assert.equal(remote.callsOf("shutdown").length, 0);
  }
});

Deno.test("shutdown while already shutting down says so and quits", async () => {
  const port = new FakePort();
  port.errors.shutdown = new TaskmasterError("SHUTTING_DOWN", "shutting down");
  const r = await run(port, ["shutdown"]);
  assert.equal(r.quit, true);
  assert.equal(r.stderr, "Error: taskmaster is shutting down\n");
});

// ---- errors, unknown commands, help ------------------------------------------------

Deno.test("an unknown command prints supervisorctl's line, exit 2", async () => {
  const r = await run(new FakePort(), ["foo", "bar"]);
  assert.equal(r.exitCode, 2);
  assert.equal(r.stderr, "*** Unknown syntax: foo bar\ntype help for the commands\n");
  const typo = await run(new FakePort(), ["stat"]);
  assert.equal(
    typo.stderr,
    "*** Unknown syntax: stat\ndid you mean status? type help for the commands\n",
  );
  assert.match((await run(new FakePort(), ["stpo", "web"])).stderr, /did you mean stop\?/);
  // Names of Object.prototype are not commands either.
  assert.equal((await run(new FakePort(), ["toString"])).exitCode, 2);
});

Deno.test("an empty command line does nothing", async () => {
  assert.deepEqual(await run(new FakePort(), []), { exitCode: 0, stdout: "", stderr: "" });
});

Deno.test("a TaskmasterError from the port becomes one Error line", async () => {
  const port = new FakePort(web());
  port.errors.start = new TaskmasterError("SHUTTING_DOWN", "Cannot start: shutting down");
  let r = await run(port, ["start", "web"]);
  assert.equal(r.stderr, "Error: taskmaster is shutting down\n");
  assert.equal(r.exitCode, 1);
  port.errors.start = new TaskmasterError("INTERNAL", "boom\n    at somewhere.ts:1:1");
  r = await run(port, ["start", "web"]);
  assert.equal(r.stderr, "Error: boom\n");
  assert.equal(r.exitCode, 1);
});

Deno.test("an unexpected error prints one line, never a stack", async () => {
  const port = new FakePort(web());
  port.errors.stop = new RangeError("something broke");
  const r = await run(port, ["stop", "all"]);
  assert.equal(r.stderr, "Error: something broke\n");
  assert.equal(r.exitCode, 1);
});

Deno.test("help lists every command; help CMD shows usage and summary", async () => {
  const r = await run(new FakePort(), ["help"]);
  assert.equal(r.exitCode, 0);
  for (const name of COMMAND_NAMES) assert.match(r.stdout, new RegExp(`^  ${name} `, "m"));
  const tail = await run(new FakePort(), ["help", "tail"]);
  assert.equal(
    tail.stdout,
    "Usage: tail [-f] [-n LINES] name [stdout|stderr]\n" +
      "  Show the last lines of a process's output; -f keeps following\n",
  );
  const none = await run(new FakePort(), ["help", "nope"]);
  assert.equal(none.stderr, "*** No help on nope\n");
  assert.equal(none.exitCode, 2);
});

Deno.test("COMMAND_NAMES holds every documented command, sorted", () => {
  assert.deepEqual(COMMAND_NAMES, [
    "alert",
    "attach",
    "clear",
    "exit",
    "help",
    "log",
    "pid",
    "quit",
    "reload",
    "restart",
    "shutdown",
    "signal",
    "start",
    "status",
    "stop",
    "tail",
    "top",
    "version",
    "why",
  ]);
});

Deno.test("start and stop pass --no-deps; a dependent stopped first says why", async () => {
  const port = new FakePort(web());
  port.answers.stop = [
    { name: "api", ok: true, note: "depends on web" },
    { name: "web", ok: true },
  ];
  const r = await run(port, ["stop", "--no-deps", "web"]);
  assert.equal(r.stdout, "api: stopped (depends on web)\nweb: stopped\n");
  assert.deepEqual(port.callsOf("stop"), [[["web"], { noDeps: true }]]);
  assert.equal((await run(port, ["start", "--bogus", "web"])).exitCode, 2);
});

Deno.test("why prints the daemon's paragraph", async () => {
  const port = new FakePort(web());
  const r = await run(port, ["why", "web"]);
  assert.equal(r.stdout, "web is RUNNING (pid 42).\n");
  assert.equal((await run(port, ["why"])).exitCode, 2);
});
