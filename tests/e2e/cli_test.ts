import assert from "node:assert/strict";
import { runTaskmaster, tempDir, TestDaemon } from "../_helpers/daemon.ts";
import { alive, waitFor } from "../_helpers/wait_for.ts";

Deno.test("taskmaster check exits 0 for a valid file and 2 with every error for an invalid one", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir}/ok.yaml`, "programs:\n  a:\n    cmd: /bin/true\n");
  const ok = await runTaskmaster(["check", "-c", `${dir}/ok.yaml`]);
  assert.equal(ok.code, 0);
  await Deno.writeTextFile(
    `${dir}/bad.yaml`,
    [
      "programs:",
      "  web:",
      "    cmd: /bin/true",
      "    numprocs: two",
      "    stopsignal: BOGUS",
      "    umask: 089",
      "    autorestrat: always",
      "  db:",
      "    startretries: -1",
    ].join("\n"),
  );
  const bad = await runTaskmaster(["check", "-c", `${dir}/bad.yaml`]);
  assert.equal(bad.code, 2);
  const lines = bad.stderr.trim().split("\n");
  for (
    const expected of [
      /bad\.yaml:4:15: program "web": key "numprocs"/,
      /bad\.yaml:5:17: program "web": key "stopsignal"/,
      /bad\.yaml:6:12: program "web": key "umask"/,
      /bad\.yaml:7:5: program "web": key "autorestrat": .*did you mean "autorestart"/,
      /program "db": key "cmd"/,
      /bad\.yaml:9:19: program "db": key "startretries"/,
    ]
  ) {
    assert.ok(lines.some((l) => expected.test(l)), `${expected} in:\n${bad.stderr}`);
  }
  assert.ok(!bad.stderr.includes("    at "), "no stack trace");
});

Deno.test("an invalid config at launch exits 2 without starting anything", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir}/bad.yaml`,
    "programs:\n  a:\n    cmd: /bin/sh -c 'touch started'\n  b:\n    cmd: 42\n    bogus: 1\n",
  );
  const r = await runTaskmaster(["-c", `${dir}/bad.yaml`, "--no-shell"], "", { cwd: `${dir}` });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /program "b": key "bogus"/);
  await assert.rejects(Deno.stat(`${dir}/started`));
});

Deno.test("bad arguments exit 2 with the usage", async () => {
  const r = await runTaskmaster(["--frobnicate"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option: --frobnicate/);
  const missing = await runTaskmaster([]);
  assert.equal(missing.code, 2);
});

Deno.test("the shell reads commands from piped stdin and end of input shuts down", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir}/t.yaml`,
    `programs:
  web:
    cmd: /bin/sleep 1000
    starttime: 0
  manual:
    cmd: /bin/sleep 1000
    autostart: false
    starttime: 0
`,
  );
  const r = await runTaskmaster(
    ["-c", `${dir}/t.yaml`, "--pidfile", `${dir}/tm.pid`],
    "start web\nstart manual\nstatus\nstop manual\nstatus --json\nbogus\nstatus nosuch\n",
    { cwd: `${dir}` },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^manual: started$/m);
  assert.match(r.stdout, /^manual +RUNNING +pid \d+, uptime 0:00:0\d$/m);
  assert.match(r.stdout, /^web: ERROR \(already started\)$/m);
  assert.match(r.stdout, /^web +RUNNING /m);
  assert.match(r.stdout, /^manual: stopped$/m);
  const json = JSON.parse(r.stdout.split("\n").find((l) => l.startsWith("["))!);
  assert.deepEqual(json.map((p: { name: string; state: string }) => [p.name, p.state]), [
    ["manual", "STOPPED"],
    ["web", "RUNNING"],
  ]);
  for (const key of ["name", "program", "index", "state", "pid", "exitcode", "uptime"]) {
    assert.ok(key in json[1], key);
  }
  assert.match(r.stderr, /\*\*\* Unknown syntax: bogus/);
  assert.match(r.stdout, /nosuch: ERROR \(no such process\)/);
  assert.match(r.stdout, /Shut down/);
  assert.ok(!alive(json[1].pid), "web was stopped at shutdown");
  await assert.rejects(Deno.stat(`${dir}/tm.pid`), "pidfile removed");
});

Deno.test("SIGTERM shuts the daemon down gracefully with exit 0", async () => {
  const d = await TestDaemon.start(`
programs:
  a:
    cmd: /bin/sleep 1000
    starttime: 0
`);
  const p = await d.waitState("a", "RUNNING");
  const pidfile = `${d.dir}/taskmaster.pid`;
  assert.equal((await Deno.readTextFile(pidfile)).trim(), String(d.child.pid));
  const { code } = await d.stop();
  assert.equal(code, 0);
  assert.ok(!alive(p.pid!));
  await assert.rejects(Deno.stat(pidfile));
  await assert.rejects(Deno.stat(d.socket));
  assert.match(await d.eventLog(), /shutdown complete/);
  await Deno.remove(d.dir, { recursive: true });
});

Deno.test("ctl runs each command against the daemon with supervisorctl's exit codes", async () => {
  await using d = await TestDaemon.start(`
programs:
  web:
    cmd: /bin/sleep 1000
    starttime: 0
  echo:
    cmd: /bin/sh -c 'echo line-$$; exec cat'
    starttime: 0
`);
  await d.waitState("web", "RUNNING");
  await d.waitState("echo", "RUNNING");
  const ctl = (...args: string[]) => runTaskmaster(["ctl", "-s", d.socket, ...args]);
  const status = await ctl("status");
  assert.equal(status.code, 0);
  assert.match(status.stdout, /^web +RUNNING +pid \d+/m);
  assert.equal((await ctl("status", "nosuch")).code, 4);
  const stop = await ctl("stop", "web");
  assert.equal(stop.stdout, "web: stopped\n");
  assert.equal((await ctl("status")).code, 3);
  assert.equal((await ctl("start", "web")).stdout, "web: started\n");
  assert.match((await ctl("restart", "web")).stdout, /web: stopped\nweb: started\n/);
  assert.equal((await ctl("pid")).stdout.trim(), String(d.child.pid));
  assert.equal((await ctl("pid", "web")).stdout.trim(), String((await d.info("web")).pid));
  assert.equal((await ctl("signal", "HUP", "echo")).stdout, "echo: signalled\n");
  await d.waitState("echo", "RUNNING");
  const tail = await waitFor(async () => {
    const r = await ctl("tail", "echo");
    return r.stdout.includes("line-") ? r : null;
  });
  assert.equal(tail.code, 0);
  assert.match((await ctl("log", "-n", "50")).stdout, /spawned: 'web'/);
  const json = JSON.parse((await ctl("status", "--json")).stdout);
  assert.equal(json.length, 2);
  assert.match((await ctl("version")).stdout, /\d+\.\d+\.\d+/);
});

Deno.test("ctl against a socket nobody serves gives one line naming the socket", async () => {
  await using dir = await tempDir();
  const r = await runTaskmaster(["ctl", "-s", `${dir}/none.sock`, "status"]);
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.match(r.stderr, /none\.sock/);
});

Deno.test("ctl rejects --socket or --config given without a value: exit 2, one clear line", async () => {
  for (const args of [["--socket"], ["--config"], ["-s"], ["--socket="], ["-c"]]) {
    const r = await runTaskmaster(["ctl", ...args]);
    assert.equal(r.code, 2, `ctl ${args.join(" ")}`);
    const flag = args[0]!.replace("=", "");
    assert.equal(r.stderr.split("\n")[0], `taskmaster ctl: ${flag} needs a value`);
    assert.match(r.stderr, /usage: taskmaster ctl/);
    assert.equal(r.stdout, "");
  }
});

Deno.test("the daemon rejects an option given without a value: exit 2 with the usage", async () => {
  for (const flag of ["--logfile", "--pidfile", "--socket", "-c"]) {
    const r = await runTaskmaster(["-c", "whatever.yaml", flag]);
    assert.equal(r.code, 2, flag);
    assert.match(r.stderr, new RegExp(`^taskmaster: ${flag} needs a value\n`));
  }
});

Deno.test("--detach returns once the daemon is ready, printing its pid; ctl shutdown ends it", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir}/t.yaml`,
    "programs:\n  a:\n    cmd: /bin/sleep 1000\n    starttime: 0\n",
  );
  const r = await runTaskmaster(["-c", `${dir}/t.yaml`, "--detach"]);
  assert.equal(r.code, 0, r.stderr);
  const pid = Number(r.stdout.trim());
  assert.ok(alive(pid));
  // Ready means the socket answers right now.
  const status = await runTaskmaster(["ctl", "-c", `${dir}/t.yaml`, "pid"]);
  assert.equal(status.stdout.trim(), String(pid));
  const second = await runTaskmaster(["-c", `${dir}/t.yaml`, "--detach"]);
  assert.notEqual(second.code, 0);
  assert.match(second.stderr, new RegExp(`in use by taskmaster pid ${pid}`));
  const down = await runTaskmaster(["ctl", "-c", `${dir}/t.yaml`, "shutdown"]);
  assert.equal(down.code, 0);
  await waitFor(() => !alive(pid), { what: "the daemon to exit" });
  await assert.rejects(Deno.stat(`${dir}/taskmaster.sock`));
});

Deno.test("--detach with a bad config fails with the daemon's error", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir}/t.yaml`, "programs:\n  a:\n    numprocs: 1\n");
  const r = await runTaskmaster(["-c", `${dir}/t.yaml`, "--detach"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /program "a": key "cmd"/);
});

Deno.test("attach round-trips a line through cat", async () => {
  await using d = await TestDaemon.start(`
programs:
  cat:
    cmd: /bin/cat
    starttime: 0
`);
  await d.waitState("cat", "RUNNING");
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../main.ts", import.meta.url).pathname,
      "ctl",
      "-s",
      d.socket,
      "attach",
      "cat",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const deadline = Date.now() + 15_000;
  let sent = false;
  while (!seen.includes("hello-through-cat") && Date.now() < deadline) {
    if (!sent && seen.includes("attached")) {
      await writer.write(new TextEncoder().encode("hello-through-cat\n"));
      sent = true;
    }
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  await writer.close();
  await reader.cancel();
  await child.status;
  await child.stderr.cancel();
  assert.match(seen, /hello-through-cat/);
  assert.equal((await d.info("cat")).state, "RUNNING", "detaching leaves it running");
});
