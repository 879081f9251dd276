import assert from "node:assert/strict";
import { TestDaemon } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const read = (path: string) => Deno.readTextFile(path).catch(() => "");

Deno.test("env adds variables (numbers and booleans as strings) to taskmaster's environment", async () => {
  await using d = await TestDaemon.start(`
programs:
  envdump:
    cmd: /bin/sh -c 'echo "A=$ANSWER D=$DEBUG P=$PATH"'
    env: { ANSWER: 42, DEBUG: true }
    starttime: 0
    autorestart: never
    stdout: out.txt
`);
  const text = await waitFor(() => read(`${d.dir}/out.txt`));
  assert.match(text, /^A=42 D=true P=\S*\/bin/);
});

Deno.test("workingdir is the child's current directory", async () => {
  await using d = await TestDaemon.start(`
programs:
  here:
    cmd: /bin/pwd
    workingdir: /usr
    starttime: 0
    autorestart: never
    stdout: out.txt
`);
  assert.equal(await waitFor(() => read(`${d.dir}/out.txt`)), "/usr\n");
});

Deno.test("a missing workingdir is a failed start with the reason", async () => {
  await using d = await TestDaemon.start(`
programs:
  nowhere:
    cmd: /bin/pwd
    workingdir: /nonexistent/dir
    startretries: 0
`);
  const p = await d.waitState("nowhere", "FATAL");
  assert.equal(p.spawnerr, "couldn't chdir to /nonexistent/dir: ENOENT");
});

Deno.test("umask sets the mode of files the child creates", async () => {
  await using d = await TestDaemon.start(`
programs:
  strict:
    cmd: /bin/sh -c 'touch strict.txt'
    umask: 077
    starttime: 0
    autorestart: never
  loose:
    cmd: /bin/sh -c 'touch loose.txt'
    umask: "002"
    starttime: 0
    autorestart: never
`);
  const strict = await waitFor(() => Deno.stat(`${d.dir}/strict.txt`).catch(() => null));
  const loose = await waitFor(() => Deno.stat(`${d.dir}/loose.txt`).catch(() => null));
  assert.equal(strict.mode! & 0o777, 0o600);
  assert.equal(loose.mode! & 0o777, 0o664);
});

Deno.test("user runs the program as that user with its HOME, USER and LOGNAME", {
  ignore: Deno.uid() !== 0,
}, async () => {
  await using d = await TestDaemon.start(`
programs:
  who:
    cmd: /bin/sh -c 'echo "$(id -u) $USER $LOGNAME $HOME"'
    user: nobody
    starttime: 0
    autorestart: never
    stdout: out.txt
`);
  const nobody = (await Deno.readTextFile("/etc/passwd")).split("\n")
    .find((l) => l.startsWith("nobody:"))!.split(":");
  const text = await waitFor(() => read(`${d.dir}/out.txt`));
  assert.equal(text, `${nobody[2]} nobody nobody ${nobody[5]}\n`);
});

Deno.test("stdout and stderr go to their files, combined when the path is the same, nowhere when discarded", async () => {
  await using d = await TestDaemon.start(`
programs:
  split:
    cmd: /bin/sh -c 'echo to-out; echo to-err >&2'
    starttime: 0
    autorestart: never
    stdout: split.out
    stderr: split.err
  both:
    cmd: /bin/sh -c 'echo one; echo two >&2; echo three'
    starttime: 0
    autorestart: never
    stdout: both.log
    stderr: both.log
  quiet:
    cmd: /bin/sh -c 'echo This should disappear; echo also gone >&2'
    starttime: 0
    autorestart: never
    stdout: null
    stderr: /dev/null
`);
  assert.equal(await waitFor(() => read(`${d.dir}/split.out`)), "to-out\n");
  assert.equal(await waitFor(() => read(`${d.dir}/split.err`)), "to-err\n");
  const both = await waitFor(async () => {
    const t = await read(`${d.dir}/both.log`);
    return t.split("\n").length === 4 ? t : null;
  });
  assert.deepEqual(both.split("\n").sort(), ["", "one", "three", "two"]);
  await d.waitState("quiet", "EXITED");
  const files = [...Deno.readDirSync(d.dir)].map((e) => e.name);
  assert.ok(!files.some((f) => f.includes("quiet")), `no file for quiet: ${files}`);
  const logs = await Array.fromAsync(Deno.readDir(`${d.dir}/logs`)).catch(() => []).then((l) =>
    l.map((e) => e.name)
  );
  assert.ok(!logs.some((f) => f.includes("quiet")), `no default log for quiet: ${logs}`);
});

Deno.test("output with no stdout/stderr set goes to logdir/<instance>.out.log and .err.log", async () => {
  await using d = await TestDaemon.start(`
programs:
  chatty:
    cmd: /bin/sh -c 'echo hello; echo oops >&2'
    numprocs: 2
    starttime: 0
    autorestart: never
`);
  assert.equal(await waitFor(() => read(`${d.dir}/logs/chatty:1.out.log`)), "hello\n");
  assert.equal(await waitFor(() => read(`${d.dir}/logs/chatty:0.err.log`)), "oops\n");
});

Deno.test("stopsignal is the signal the program receives on stop", async () => {
  await using d = await TestDaemon.start(`
programs:
  catcher:
    cmd: /bin/sh -c 'trap "echo got-usr1; exit 0" USR1; while true; do sleep 0.05; done'
    stopsignal: USR1
    starttime: 0.2
    stdout: out.txt
`);
  await d.waitState("catcher", "RUNNING");
  await d.port.stop(["catcher"]);
  assert.equal(await waitFor(() => read(`${d.dir}/out.txt`)), "got-usr1\n");
  assert.equal((await d.info("catcher")).exitcode, 0);
});

Deno.test("autostart false leaves a program STOPPED until started", async () => {
  await using d = await TestDaemon.start(`
programs:
  manual:
    cmd: /bin/sleep 1000
    autostart: false
    starttime: 0.2
`);
  const p = await d.info("manual");
  assert.equal(p.state, "STOPPED");
  assert.equal(p.description, "Not started");
  assert.deepEqual(await d.port.start(["manual"]), [{ name: "manual", ok: true }]);
  assert.equal((await d.info("manual")).state, "RUNNING");
});
