/**
 * Issue 9, "the first hour": the defects a new user hit, each reproduced
 * end to end through the real entry point.
 */
import assert from "node:assert/strict";
import { runTaskmaster, tempDir, TestDaemon } from "../_helpers/daemon.ts";
import { alive, waitFor } from "../_helpers/wait_for.ts";

Deno.test("ctl against a daemon that is not running exits 7 (LSB not running), whatever the command", async () => {
  await using dir = await tempDir();
  for (const words of [["status"], ["stop", "web"], ["pid"], []]) {
    const r = await runTaskmaster(["ctl", "-s", `${dir}/none.sock`, ...words]);
    assert.equal(r.code, 7, `ctl ${words.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /none\.sock/);
  }
});

Deno.test("ctl -c FILE reaches the daemon while FILE is invalid; reload reports the errors", async () => {
  await using d = await TestDaemon.start(
    "programs:\n  web:\n    cmd: /bin/sleep 1000.91\n    starttime: 0\n",
  );
  await d.waitState("web", "RUNNING");
  // A bad edit: an unknown key and a wrong type.
  await d.writeConfig(
    "programs:\n  web:\n    cmd: /bin/sleep 1000.91\n    numprocs: two\n    bogus: 1\n",
  );
  const ctl = (...args: string[]) => runTaskmaster(["ctl", "-c", d.config, ...args]);
  const status = await ctl("status");
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^web +RUNNING/m);
  const reload = await ctl("reload");
  assert.equal(reload.code, 2);
  assert.match(reload.stderr, /taskmaster\.yaml:4:\d+: program "web": key "numprocs"/);
  assert.match(reload.stderr, /key "bogus"/);
  assert.equal((await d.info("web")).state, "RUNNING", "nothing touched");
  const shutdown = await ctl("shutdown");
  assert.equal(shutdown.code, 0, shutdown.stderr);
  const { code } = await d.stop();
  assert.equal(code, 0);
});

Deno.test("ctl -c FILE finds a socket named in an invalid file, relative to the file", async () => {
  await using dir = await tempDir();
  const config = `${dir}/app.yaml`;
  await Deno.writeTextFile(
    config,
    "taskmaster:\n  socket: run/x.sock\nprograms:\n  a:\n    cmd: /bin/sleep 1000.92\n",
  );
  await Deno.mkdir(`${dir}/run`);
  const up = await runTaskmaster(["-c", config, "--detach"]);
  assert.equal(up.code, 0, up.stderr);
  const pid = Number(up.stdout.trim());
  try {
    await Deno.writeTextFile(
      config,
      "taskmaster:\n  socket: run/x.sock\nprograms:\n  a:\n    cmd: [oops\n",
    );
    const r = await runTaskmaster(["ctl", "-c", config, "pid"], "", { cwd: "/" });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), String(pid));
  } finally {
    await runTaskmaster(["ctl", "-s", `${dir}/run/x.sock`, "shutdown"]);
    await waitFor(() => !alive(pid), { what: "the daemon to exit" });
  }
});

Deno.test("--detach --wait returns once every autostart program is up, or exits 3 naming the ones that failed", async () => {
  await using dir = await tempDir();
  const config = `${dir}/app.yaml`;
  await Deno.writeTextFile(
    config,
    [
      "programs:",
      "  web:",
      "    cmd: /bin/sleep 1000.93",
      "    starttime: 1",
      "  manual:",
      "    cmd: /bin/sleep 1000.93",
      "    autostart: false",
    ].join("\n"),
  );
  const up = await runTaskmaster(["-c", config, "--detach", "--wait"]);
  assert.equal(up.code, 0, up.stderr);
  const status = await runTaskmaster(["ctl", "-c", config, "status", "web"]);
  assert.match(status.stdout, /^web +RUNNING/m, "RUNNING as soon as --wait returned");
  await runTaskmaster(["ctl", "-c", config, "shutdown"]);
  await waitFor(() => !alive(Number(up.stdout.trim())), { what: "the daemon to exit" });

  await Deno.writeTextFile(
    config,
    "programs:\n  crasher:\n    cmd: /bin/sh -c 'exit 1'\n    startretries: 1\n  web:\n    cmd: /bin/sleep 1000.93\n    starttime: 0\n",
  );
  const failed = await runTaskmaster(["-c", config, "--detach", "--wait"]);
  assert.equal(failed.code, 3);
  assert.match(failed.stdout, /^\d+\n$/, "the pid: the daemon runs on");
  assert.match(failed.stderr, /crasher \(FATAL\)/);
  assert.doesNotMatch(failed.stderr, /web/);
  await runTaskmaster(["ctl", "-c", config, "shutdown"]);
  await waitFor(() => !alive(Number(failed.stdout.trim())), { what: "the daemon to exit" });
});

Deno.test("--detach --wait and a SIGTERM during the launch: it returns, exit 3 naming what is not up, and the daemon exits", async () => {
  await using dir = await tempDir();
  const config = `${dir}/app.yaml`;
  // db takes 30 s to count as up, and api waits for it: the launch is long under way.
  await Deno.writeTextFile(
    config,
    [
      "programs:",
      "  db:",
      "    cmd: /bin/sleep 1000.931",
      "    starttime: 30",
      "  api:",
      "    cmd: /bin/sleep 1000.931",
      "    starttime: 0",
      "    depends_on: [db]",
    ].join("\n"),
  );
  const detaching = runTaskmaster(["-c", config, "--detach", "--wait"]);
  const pidfile = `${dir}/taskmaster.pid`;
  const pid = await waitFor(
    () => Deno.readTextFile(pidfile).then((text) => Number(text.trim()) || null, () => null),
    { what: "the pidfile" },
  );
  await waitFor(
    () => Deno.readTextFile(`${dir}/taskmaster.log`).then((l) => l.includes("spawned: 'db'")),
    { what: "db spawned" },
  );
  Deno.kill(pid, "SIGTERM");
  const r = await detaching;
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /^taskmaster: not running after launch: /);
  assert.match(r.stderr, /\bdb \(STARTING\)/);
  assert.match(r.stderr, /\bapi \(\w+\)/);
  await waitFor(() => !alive(pid), { what: "the daemon to exit" });
  await assert.rejects(Deno.stat(pidfile), "the pidfile is removed");
});

Deno.test("--wait without --detach is a usage error", async () => {
  const r = await runTaskmaster(["-c", "x.yaml", "--wait"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--wait goes with --detach/);
});

Deno.test("tail, attach and stdin on a program of several instances say which instances exist", async () => {
  await using d = await TestDaemon.start(
    "programs:\n  web:\n    cmd: /bin/sleep 1000.94\n    numprocs: 2\n    starttime: 0\n",
  );
  await d.waitState("web:1", "RUNNING");
  const ctl = (...args: string[]) => runTaskmaster(["ctl", "-s", d.socket, ...args]);
  for (const words of [["tail", "web"], ["tail", "-f", "web", "stderr"], ["attach", "web"]]) {
    const r = await ctl(...words);
    assert.equal(r.code, 1, words.join(" "));
    assert.equal(r.stdout, "web names 2 instances: web:0, web:1\n", words.join(" "));
  }
  await assert.rejects(
    d.port.sendStdin("web", new Uint8Array([10])),
    /web names 2 instances: web:0, web:1/,
  );
  await assert.rejects(d.port.tail("web", "stdout", 5), /web names 2 instances: web:0, web:1/);
});

Deno.test("restart all starts what was stopped without an ERROR line; the API lists each name once", async () => {
  await using d = await TestDaemon.start(
    "programs:\n  web:\n    cmd: /bin/sleep 1000.95\n    starttime: 0\n  idle:\n    cmd: /bin/sleep 1000.95\n    starttime: 0\n    autostart: false\n",
  );
  await d.waitState("web", "RUNNING");
  const r = await runTaskmaster(["ctl", "-s", d.socket, "restart", "all"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "web: stopped\nweb: started\nidle: started\n");
  assert.equal((await d.info("idle")).state, "RUNNING");
  const results = await d.port.restart(["all"]);
  assert.deepEqual(results.map((x) => x.name), ["web", "idle"]);
  assert.ok(results.every((x) => x.ok));
});

Deno.test("the STARTING event on /v1/events carries the new pid", async () => {
  await using d = await TestDaemon.start(
    "programs:\n  web:\n    cmd: /bin/sleep 1000.96\n    starttime: 0\n    autostart: false\n",
  );
  const abort = new AbortController();
  const seen: { to: string; pid: number | null }[] = [];
  const watching = (async () => {
    for await (const change of await d.port.events(abort.signal)) {
      seen.push(change);
      if (change.to === "RUNNING") break;
    }
  })();
  await new Promise((r) => setTimeout(r, 200)); // subscribed before the start
  await d.port.start(["web"]);
  await watching;
  abort.abort();
  const starting = seen.find((c) => c.to === "STARTING");
  assert.ok(starting !== undefined, JSON.stringify(seen));
  assert.equal(starting.pid, (await d.info("web")).pid);
});

Deno.test("pid all prints name-pid pairs; an unknown command suggests the right one", async () => {
  await using d = await TestDaemon.start(
    "programs:\n  web:\n    cmd: /bin/sleep 1000.97\n    numprocs: 2\n    starttime: 0\n",
  );
  await d.waitState("web:1", "RUNNING");
  const pids = await runTaskmaster(["ctl", "-s", d.socket, "pid", "all"]);
  const [w0, w1] = await d.status();
  assert.equal(pids.stdout, `web:0 ${w0!.pid}\nweb:1 ${w1!.pid}\n`);
  const typo = await runTaskmaster(["ctl", "-s", d.socket, "stat"]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /\*\*\* Unknown syntax: stat\ndid you mean status\? type help/);
});

Deno.test("a socket in use names the other daemon and says how to choose another", async () => {
  await using d = await TestDaemon.start("programs:\n  a:\n    cmd: /bin/sleep 1000.98\n");
  await Deno.writeTextFile(
    `${d.dir}/second.yaml`,
    "programs:\n  b:\n    cmd: /bin/sleep 1000.98\n",
  );
  const r = await runTaskmaster(["-c", `${d.dir}/second.yaml`, "--no-shell", "--socket", d.socket]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /is in use by taskmaster pid \d+; choose another with --socket PATH or taskmaster\.socket/,
  );
});

Deno.test("a stdout/stderr file in a missing directory is a config error in check, at launch and on reload", async () => {
  await using dir = await tempDir();
  const missing = `${dir}/nonexistent_dir`;
  const bad = `programs:\n  web:\n    cmd: /bin/sleep 1000.99\n    stdout: ${missing}/out.log\n`;
  await Deno.writeTextFile(`${dir}/bad.yaml`, bad);
  const check = await runTaskmaster(["check", "-c", `${dir}/bad.yaml`]);
  assert.equal(check.code, 2);
  assert.match(
    check.stderr,
    new RegExp(
      `bad\\.yaml:4:\\d+: program "web": key "stdout": directory ${missing} does not exist`,
    ),
  );
  const launch = await runTaskmaster(["-c", `${dir}/bad.yaml`, "--no-shell"]);
  assert.equal(launch.code, 2);
  await assert.rejects(Deno.stat(missing), "nothing created");

  // logdir, taskmaster's own default, is still created.
  await using d = await TestDaemon.start(
    "taskmaster:\n  logdir: made/by/taskmaster\nprograms:\n  web:\n    cmd: /bin/sleep 1000.99\n    starttime: 0\n",
  );
  await d.waitState("web", "RUNNING");
  assert.ok((await Deno.stat(`${d.dir}/made/by/taskmaster`)).isDirectory);
  await d.writeConfig(
    `taskmaster:\n  logdir: made/by/taskmaster\nprograms:\n  web:\n    cmd: /bin/sleep 1000.99\n    starttime: 0\n    stderr: ${missing}/err.log\n`,
  );
  await assert.rejects(d.port.reload(), new RegExp(`directory ${missing} does not exist`));
  await assert.rejects(Deno.stat(missing), "nothing created by the reload");
});

Deno.test("through deno task, relative paths are the caller's and children do not inherit deno task's variables", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir}/app.yaml`,
    "programs:\n  dump:\n    cmd: /bin/sh -c 'env > env.txt; pwd > pwd.txt; exec sleep 1000.9'\n    starttime: 0\n",
  );
  const root = new URL("../../", import.meta.url).pathname;
  const task = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "--config", `${root}deno.json`, "taskmaster", ...args],
      cwd: `${dir}`,
      // The user's shell: not the environment of the `deno task test` running this test.
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: Deno.env.get("HOME") ?? "/root" },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
  const check = await task("check", "-c", "app.yaml");
  assert.equal(check.code, 0, new TextDecoder().decode(check.stderr));
  assert.equal(new TextDecoder().decode(check.stdout), `${dir}/app.yaml: valid (1 program)\n`);
  const up = await task("-c", "app.yaml", "--detach", "--pidfile", "tm.pid");
  assert.equal(up.code, 0, new TextDecoder().decode(up.stderr));
  const pid = Number(new TextDecoder().decode(up.stdout).trim());
  try {
    assert.equal((await Deno.readTextFile(`${dir}/tm.pid`)).trim(), String(pid));
    const env = await waitFor(() => Deno.readTextFile(`${dir}/env.txt`).catch(() => null));
    assert.doesNotMatch(env, /^INIT_CWD=/m);
    assert.doesNotMatch(env, /^npm_config_/m);
    // pwd.txt is written after env.txt, by the same shell: poll for it too (once it failed as '').
    const pwd = await waitFor(() => Deno.readTextFile(`${dir}/pwd.txt`).catch(() => null));
    assert.equal(pwd.trim(), `${dir}`);
  } finally {
    await runTaskmaster(["ctl", "-c", `${dir}/app.yaml`, "shutdown"]);
    await waitFor(() => !alive(pid), { what: "the daemon to exit" });
  }
});

Deno.test("numprocs 1 -> 2 on reload: web, now web:0, writes its default log under its new name at once", async () => {
  const yaml = (n: number) =>
    `programs:\n  web:\n    cmd: /bin/sh -c 'while :; do echo tick-$$; sleep 0.2; done'\n    starttime: 0\n    numprocs: ${n}\n`;
  await using d = await TestDaemon.start(yaml(1));
  const first = await d.waitState("web", "RUNNING");
  await waitFor(() =>
    Deno.readTextFile(`${d.dir}/logs/web.out.log`).then((t) => t.includes("tick-"))
  );
  await d.writeConfig(yaml(2));
  await d.port.reload();
  const renamed = await d.info("web:0");
  assert.equal(renamed.pid, first.pid, "not restarted");
  assert.equal(renamed.stdout, `${d.dir}/logs/web:0.out.log`);
  await waitFor(
    () =>
      Deno.readTextFile(`${d.dir}/logs/web:0.out.log`)
        .then((t) => t.includes(`tick-${first.pid}`), () => false),
    { what: "web:0's own lines in web:0.out.log" },
  );
  const old = await Deno.readTextFile(`${d.dir}/logs/web.out.log`);
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(
    await Deno.readTextFile(`${d.dir}/logs/web.out.log`),
    old,
    "web.out.log no longer grows",
  );
  assert.match(await d.port.tail("web:0", "stdout", 1), new RegExp(`tick-${first.pid}`));
});

Deno.test("stdout: /dev/stdout and files in existing system directories stay valid", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir}/ok.yaml`,
    "programs:\n  web:\n    cmd: /bin/true\n    stdout: /dev/stdout\n    stderr: /tmp/x-first-hour.err\n",
  );
  const r = await runTaskmaster(["check", "-c", `${dir}/ok.yaml`]);
  assert.equal(r.code, 0, r.stderr);
});

Deno.test("issue 9.8: a pidfile left by a taskmaster that was killed is named in a warning at the next start", async () => {
  const gone = new Deno.Command("true").spawn();
  await gone.status;
  await using dir = await tempDir();
  const pidfile = `${dir}/old.pid`;
  await Deno.writeTextFile(pidfile, `${gone.pid}\n`);
  await using daemon = await TestDaemon.start(
    "programs:\n  sleeper:\n    cmd: /bin/sleep 1009.8\n",
    [
      "--pidfile",
      pidfile,
    ],
  );
  const warning =
    `the taskmaster of pidfile ${pidfile} (pid ${gone.pid}) is gone without shutting down: programs it started may still be running`;
  await waitFor(async () => (await daemon.eventLog()).includes(warning) || null, {
    what: "the warning in the event log",
  });
  assert.equal((await Deno.readTextFile(pidfile)).trim(), String(daemon.child.pid));
});
