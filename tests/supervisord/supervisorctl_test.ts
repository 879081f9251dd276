/**
 * The real supervisorctl (supervisor 4.2.5) drives taskmaster: each command
 * runs against taskmaster and against a real supervisord on the same config,
 * and the output and exit code must match line for line (pids, uptimes and
 * times masked; lines of multi-process answers sorted, since their order is
 * completion order in supervisord too).
 */
import assert from "node:assert/strict";
import { waitFor } from "../_helpers/wait_for.ts";
import {
  type Daemon,
  importInto,
  normalize,
  PAIR_CONF,
  PAIR_SETTLED,
  startSupervisord,
  startTaskmaster,
} from "./_pair.ts";
import { run, SUPERVISORCTL, SYSTEM_PYTHON } from "./_supervisor.ts";

async function same(
  daemons: Daemon[],
  args: string[],
  options: { sort?: boolean } = {},
): Promise<string> {
  const [expected, actual] = await Promise.all(daemons.map(async (d) => {
    const out = await d.ctl(...args);
    let lines = normalize(out.stdout, d.dir).split("\n");
    if (options.sort) lines = lines.sort();
    return { code: out.code, stdout: lines.join("\n"), stderr: out.stderr };
  }));
  assert.deepEqual(
    { code: actual!.code, stdout: actual!.stdout },
    { code: expected!.code, stdout: expected!.stdout },
    `supervisorctl ${args.join(" ")}`,
  );
  return actual!.stdout;
}

Deno.test("supervisorctl: taskmaster answers every command as supervisord does", async () => {
  await using supervisord = await startSupervisord(PAIR_CONF);
  await using taskmaster = await startTaskmaster(PAIR_CONF);
  const both = [supervisord, taskmaster];
  await Promise.all(both.map((d) => d.settle(PAIR_SETTLED)));

  // Read-only commands run side by side: supervisorctl takes a second to start on a busy machine.
  const [status] = await Promise.all([
    same(both, ["status"]),
    same(both, ["status", "web"]),
    same(both, ["status", "jobs:*"]),
    same(both, ["status", "nosuch"]),
    same(both, ["status", "web", "nosuch"]),
    same(both, ["avail"]),
    same(both, ["reread"]),
    same(both, ["pid", "nosuch"]),
    same(both, ["tail", "nosuch"]),
  ]);
  assert.match(status, /^web\s+RUNNING\s+pid <pid>, uptime <uptime>$/m);
  assert.equal(await same(both, ["start", "manual"]), "manual: started\n");
  await Promise.all(both.map((d) => d.settle({ manual: "RUNNING" })));
  await Promise.all([
    same(both, ["start", "web"]),
    same(both, ["start", "nosuch"]),
    same(both, ["start", "crashy"]),
  ]);
  await same(both, ["stop", "jobs:*"], { sort: true });
  await same(both, ["stop", "jobs:0"]);
  await same(both, ["start", "jobs:*"], { sort: true });
  await same(both, ["restart", "web"]);
  await Promise.all([
    same(both, ["signal", "CONT", "web"]),
    same(both, ["signal", "USR1", "jobs:*"], { sort: true }),
    same(both, ["signal", "NOPE", "web"]),
    same(both, ["signal", "HUP", "crashy"]),
    same(both, ["tail", "manual"]),
    same(both, ["tail", "manual", "stderr"]),
    same(both, ["tail", "-3", "manual"]),
  ]);
  await same(both, ["clear", "manual"]);
  await same(both, ["tail", "manual"]);
  await same(both, ["stop", "all"], { sort: true });
  await same(both, ["start", "all"], { sort: true });
  await same(both, ["status"]);
  // The pid of a process is its own; supervisorctl prints one number.
  for (const d of both) {
    const pid = await d.ctl("pid", "web");
    assert.match(pid.stdout, /^\d+\n$/);
    assert.equal(pid.code, 0);
  }
  const version = await taskmaster.ctl("version");
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);

  await same(both, ["shutdown"]);
  for (const d of both) {
    const status = await d.child.status;
    assert.equal(status.code, 0, `${d.kind} exits 0 after shutdown`);
  }
  // Talking to a daemon that is gone: supervisorctl's own message and code.
  await same(both, ["status"]);
});

Deno.test("supervisorctl reread/update/add/remove: the same changes as supervisord", async () => {
  await using supervisord = await startSupervisord(PAIR_CONF);
  await using taskmaster = await startTaskmaster(PAIR_CONF);
  const both = [supervisord, taskmaster];
  await Promise.all(both.map((d) => d.settle(PAIR_SETTLED)));
  const edited = PAIR_CONF
    .replace("command=/bin/sleep 1014.1", "command=/bin/sleep 1014.5") // web changes
    .replace(/\[program:crashy\][^[]*$/, "") + // crashy disappears
    "\n[program:added]\ncommand=/bin/sleep 1014.6\nstartsecs=0\n";
  for (const d of both) {
    await Deno.writeTextFile(`${d.dir}/supervisord.conf`, edited);
    if (d.kind === "taskmaster") await importInto(d.dir);
  }
  assert.equal(
    await same(both, ["reread"]),
    "added: available\ncrashy: disappeared\nweb: changed\n",
  );
  await Promise.all([
    same(both, ["avail"]),
    same(both, ["add", "nosuch"]),
    same(both, ["update", "nosuch"]),
  ]);
  await same(both, ["remove", "web"]);
  await same(both, ["add", "web"]);
  await same(both, ["update"], { sort: true });
  await Promise.all(both.map((d) => d.settle({ web: "RUNNING", added: "RUNNING" })));
  await same(both, ["status"]);
  await same(both, ["reread"]);
  await same(both, ["stop", "added"]);
  await same(both, ["remove", "added"]);
  await same(both, ["status"]);
  const ps = await run("ps", ["-eo", "args"]);
  assert.match(ps.stdout, /sleep 1014\.5/, "the changed web runs its new command");
});

Deno.test("supervisorctl tail -f and maintail -f stream live output", async () => {
  await using taskmaster = await startTaskmaster(PAIR_CONF);
  await taskmaster.settle(PAIR_SETTLED);
  await taskmaster.ctl("start", "manual");
  const follow = async (args: string[], then?: () => Promise<unknown>) => {
    const child = new Deno.Command(SUPERVISORCTL, {
      args: ["-s", taskmaster.url, ...args],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const chunks: string[] = [];
    const reading = (async () => {
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        chunks.push(chunk);
      }
    })();
    await new Promise((r) => setTimeout(r, 1000));
    await then?.();
    await waitFor(() => chunks.join("").includes(args.includes("maintail") ? "spawned" : "live"), {
      timeout: 10_000,
      what: `${args.join(" ")} output`,
    });
    child.kill("SIGINT");
    await child.status;
    await reading;
    return chunks.join("");
  };
  const out = await follow(["tail", "-f", "manual"], () =>
    run(SYSTEM_PYTHON, [
      "-c",
      `import xmlrpc.client; from supervisor.xmlrpc import SupervisorTransport
p = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=SupervisorTransport("", "", "${taskmaster.url}"))
p.supervisor.sendProcessStdin("manual", "live line\\n")`,
    ]));
  assert.match(out, /==> Press Ctrl-C to exit <==/);
  assert.match(out, /out-line\n/);
  assert.match(out, /live line\n/);
  const main = await follow(["maintail", "-f"], () => taskmaster.ctl("restart", "web"));
  assert.match(main, /spawned: 'web'/);
  const main2 = await taskmaster.ctl("maintail");
  assert.equal(main2.code, 0);
  assert.match(main2.stdout, /taskmaster started/);
});

Deno.test("supervisorctl fg in a pty: typed lines reach the program, its output comes back", async () => {
  await using taskmaster = await startTaskmaster(PAIR_CONF);
  await taskmaster.settle(PAIR_SETTLED);
  await taskmaster.ctl("start", "manual");
  // A pty, because fg reads the terminal; Python's pty module is the portable way.
  const script = `
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv("${SUPERVISORCTL}", ["supervisorctl", "-s", "${taskmaster.url}", "fg", "manual"])
buf = b""
def read_until(token, timeout=20):
    global buf
    end = time.time() + timeout
    while token not in buf and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                buf += os.read(fd, 4096)
            except OSError:
                break
    return token in buf
ok1 = read_until(b"Press Ctrl-C to exit")
os.write(fd, b"typed-in-fg\\n")
ok2 = read_until(b"typed-in-fg\\r\\ntyped-in-fg") or read_until(b"typed-in-fg", 2)
os.write(fd, b"\\x03")
ok3 = read_until(b"Exiting foreground")
_, status = os.waitpid(pid, 0)
print(ok1, ok2, ok3, os.waitstatus_to_exitcode(status))
sys.stdout.write(buf.decode(errors="replace"))
`;
  const out = await run(SYSTEM_PYTHON, ["-c", script]);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /^True True True 0\n/, out.stdout);
  const log = await Deno.readTextFile(`${taskmaster.dir}/manual.out`);
  assert.match(log, /typed-in-fg/, "the line went to the program's stdin and came back out");
});

Deno.test("supervisorctl reload: everything restarts on the re-read config", async () => {
  await using taskmaster = await startTaskmaster(PAIR_CONF);
  await taskmaster.settle(PAIR_SETTLED);
  const before = (await taskmaster.ctl("pid", "web")).stdout.trim();
  const reload = await taskmaster.ctl("reload");
  assert.deepEqual([reload.code, reload.stdout], [0, "Restarted supervisord\n"]);
  await waitFor(async () => {
    const pid = (await taskmaster.ctl("pid", "web")).stdout.trim();
    return /^\d+$/.test(pid) && pid !== "0" && pid !== before;
  }, { timeout: 30_000, what: "web to run again under a new pid" });
  await taskmaster.settle({ web: "RUNNING", "jobs:0": "RUNNING" });
});
