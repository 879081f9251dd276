/**
 * Children get nothing of taskmaster's: no inherited descriptor, the user's
 * own groups, no launcher variables; and the control socket path cannot be
 * taken over by another user. Each test first sets up what the hostile
 * tester of issue 10 found.
 */
import assert from "node:assert/strict";
import { MAIN, runTaskmaster, tempDir, TestDaemon } from "../_helpers/daemon.ts";
import { cgroup2Mount, pathKey } from "../../src/process/cgroups.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { RUN_FLAGS } from "../../src/permissions.ts";

const read = (path: string) => Deno.readTextFile(path).catch(() => "");

/** The `Groups:` line of /proc/PID/status, as numbers. */
function groupsOf(pid: number): number[] {
  const line = Deno.readTextFileSync(`/proc/${pid}/status`).split("\n")
    .find((l) => l.startsWith("Groups:"))!;
  return line.slice("Groups:".length).trim().split(/\s+/).filter((g) => g !== "").map(Number)
    .sort((a, b) => a - b);
}

async function sh(script: string): Promise<string> {
  const out = await new Deno.Command("/bin/sh", { args: ["-c", script], stderr: "inherit" })
    .output();
  if (!out.success) throw new Error(`sh failed: ${script}`);
  return new TextDecoder().decode(out.stdout).trim();
}

/** A system user `tm-grouped` in the extra group `tm-extra` (created once, as root). */
async function groupedUser(): Promise<{ uid: number; gid: number; extra: number }> {
  await sh(
    "getent group tm-extra >/dev/null || groupadd --system tm-extra; " +
      "id tm-grouped >/dev/null 2>&1 || useradd --system --no-create-home --home-dir / " +
      "--shell /usr/sbin/nologin --user-group --groups tm-extra tm-grouped",
  );
  return {
    uid: Number(await sh("id -u tm-grouped")),
    gid: Number(await sh("id -g tm-grouped")),
    extra: Number(await sh("getent group tm-extra | cut -d: -f3")),
  };
}

Deno.test("a descriptor the launcher left open (fd 7) is not passed to a child", async () => {
  await using dir = await tempDir();
  const secret = `${dir}/secret`;
  await Deno.writeTextFile(secret, "top secret\n");
  await Deno.writeTextFile(
    `${dir}/taskmaster.yaml`,
    `
programs:
  peek:
    cmd: /bin/sleep 1000.71
    starttime: 0
  reader:
    cmd: /bin/sh -c 'cat <&7; echo "exit $?"'
    starttime: 0
    autorestart: never
    stdout: reader.out
    stderr: reader.out
`,
  );
  // The launcher opens a secret on fd 7 and execs taskmaster with it still open.
  const quoted = [Deno.execPath(), "run", "--quiet", ...RUN_FLAGS, MAIN].map((a) => `'${a}'`)
    .join(" ");
  const child = new Deno.Command("/bin/sh", {
    args: [
      "-c",
      `exec 7<'${secret}'; exec ${quoted} -c '${dir}/taskmaster.yaml' --no-shell`,
    ],
    cwd: String(dir),
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  try {
    const outText = await waitFor(async () => {
      const t = await read(`${dir}/reader.out`);
      return t.includes("exit") ? t : null;
    }, "the reader's output");
    assert.ok(!outText.includes("top secret"), outText);
    assert.match(outText, /exit [12]/);
    const pid = await waitFor(async () => {
      const r = await runTaskmaster(["ctl", "-s", `${dir}/taskmaster.sock`, "pid", "peek"]);
      return /^\d+$/.test(r.stdout.trim()) ? Number(r.stdout.trim()) : null;
    }, "peek's pid");
    const fds = [...Deno.readDirSync(`/proc/${pid}/fd`)].map((e) => e.name).sort();
    assert.deepEqual(fds, ["0", "1", "2"]);
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
});

Deno.test("user: nobody gets nobody's groups, never root's", async () => {
  await using d = await TestDaemon.start(`
programs:
  nobodys:
    cmd: /bin/sleep 1000.72
    user: nobody
    starttime: 0.2
`);
  const p = await d.waitState("nobodys", "RUNNING");
  const expected = (await sh("id -G nobody")).split(" ").map(Number).sort((a, b) => a - b);
  assert.deepEqual(groupsOf(p.pid!), expected);
  assert.ok(!groupsOf(p.pid!).includes(0));
  const status = Deno.readTextFileSync(`/proc/${p.pid}/status`);
  assert.match(status, new RegExp(`^Uid:\\t65534\\t65534\\t`, "m"));
});

Deno.test("user: a user in an extra group gets that group too (initgroups)", async () => {
  const user = await groupedUser();
  await using d = await TestDaemon.start(`
programs:
  grouped:
    cmd: /bin/sleep 1000.73
    user: tm-grouped
    starttime: 0.2
`);
  const p = await d.waitState("grouped", "RUNNING");
  assert.deepEqual(groupsOf(p.pid!), [user.gid, user.extra].sort((a, b) => a - b));
  const status = Deno.readTextFileSync(`/proc/${p.pid}/status`);
  assert.match(status, new RegExp(`^Uid:\\t${user.uid}\\t${user.uid}\\t`, "m"));
  assert.match(status, new RegExp(`^Gid:\\t${user.gid}\\t${user.gid}\\t`, "m"));
});

Deno.test("a child's environment is taskmaster's plus env, without the launcher's internals", async () => {
  // The daemon stays up until the program has exited and its output is on
  // disk: a run that ends at the shell's EOF could stop it before it wrote.
  await using d = await TestDaemon.start(
    `
programs:
  envdump:
    cmd: /usr/bin/env
    env: { ADDED: yes }
    starttime: 0
    autorestart: never
    stdout: env.out
`,
    [],
    { INIT_CWD: "/somewhere", npm_config_cache: "/x", KEPT_BY_USER: "kept" },
  );
  await d.waitState("envdump", "EXITED");
  const env = await waitFor(async () => {
    const text = await read(`${d.dir}/env.out`);
    return /^ADDED=yes$/m.test(text) ? text : null;
  }, "env's output");
  assert.match(env, /^KEPT_BY_USER=kept$/m);
  assert.doesNotMatch(env, /^INIT_CWD=/m);
  assert.doesNotMatch(env, /^npm_config_/m);
});

Deno.test("a socket path owned by another user is refused, named, never connected to nor removed", async () => {
  await using dir = await tempDir();
  const socket = `${dir}/taskmaster.sock`;
  // Another user (nobody) took the name first, with a live socket.
  const listener = Deno.listen({ transport: "unix", path: socket });
  Deno.chownSync(socket, 65534, 65534);
  let connections = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      connections++;
      conn.close();
    }
  })();
  await Deno.writeTextFile(
    `${dir}/taskmaster.yaml`,
    "programs:\n  p:\n    cmd: /bin/sleep 1000.74\n",
  );
  const r = await runTaskmaster(["-c", `${dir}/taskmaster.yaml`, "--no-shell"], "", {
    cwd: String(dir),
  });
  listener.close();
  await accepting.catch(() => {});
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(`socket path ${socket} belongs to user nobody \\(uid 65534\\)`),
  );
  assert.equal(connections, 0);
  // A plain file under another user's name is refused the same way and kept.
  await Deno.writeTextFile(socket, "not yours");
  Deno.chownSync(socket, 65534, 65534);
  const again = await runTaskmaster(["-c", `${dir}/taskmaster.yaml`, "--no-shell"], "", {
    cwd: String(dir),
  });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /belongs to user nobody \(uid 65534\)/);
  assert.equal(await Deno.readTextFile(socket), "not yours");
  // Nothing ran: the cgroup tree each attempt made at start is gone with it.
  const tree = `${cgroup2Mount()}/taskmaster-${pathKey(`${dir}/taskmaster.state`)}`;
  assert.equal(await Deno.stat(tree).then(() => true, () => false), false, `${tree} was left`);
});

Deno.test("ctl refuses to talk to a socket owned by another non-root user", async () => {
  await using d = await TestDaemon.start(`
programs:
  p:
    cmd: /bin/sleep 1000.75
    starttime: 0
`);
  Deno.chownSync(d.socket, 65534, 65534);
  const r = await runTaskmaster(["ctl", "-s", d.socket, "status"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /socket .* is owned by user nobody \(uid 65534\), not by you or root/);
  Deno.chownSync(d.socket, 0, 0);
  const ok = await runTaskmaster(["ctl", "-s", d.socket, "status"]);
  assert.match(ok.stdout, /^p\s+RUNNING/m);
});
