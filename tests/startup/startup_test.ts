import assert from "node:assert/strict";
import { tempDir } from "../_helpers/daemon.ts";
import { alive, waitFor } from "../_helpers/wait_for.ts";
import { includes, requireTool, run, taskmaster, writeConfig } from "../export/_helpers.ts";

const CONFIG = "programs:\n  sleeper:\n    cmd: /bin/sleep 1007.5\n    stoptime: 40\n";

/** The words of a unit line `Key=a b c` (the test's paths need no quoting). */
function words(unit: string, key: string): string[] {
  const line = unit.split("\n").find((l) => l.startsWith(`${key}=`));
  assert.ok(line !== undefined, `no ${key}= in:\n${unit}`);
  return line.slice(key.length + 1).split(" ");
}

Deno.test("startup systemd: the unit passes systemd-analyze verify, and its ExecStart/ExecStop really start and stop the daemon", async () => {
  requireTool("/usr/bin/systemd-analyze", "systemd");
  await using dir = await tempDir();
  const config = await writeConfig(`${dir}`, CONFIG);
  const result = await taskmaster(["startup", "systemd", "-c", config]);
  assert.equal(result.code, 0, result.stderr);
  const unit = result.stdout;
  includes(unit, "ExecReload=/bin/kill -HUP $MAINPID\n");
  includes(unit, `TimeoutStopSec=70\n`);
  includes(unit, "WantedBy=multi-user.target\n");
  assert.deepEqual(words(unit, "ExecStart").slice(-3), ["-c", config, "--no-shell"]);
  assert.deepEqual(words(unit, "ExecStop").slice(-4), ["ctl", "-c", config, "shutdown"]);

  await Deno.writeTextFile(`${dir}/taskmaster-app.service`, unit);
  const verified = await run("systemd-analyze", ["verify", `${dir}/taskmaster-app.service`]);
  assert.equal(verified.stderr, "");
  assert.equal(verified.code, 0);

  // What systemd would run, run here: the daemon comes up, ExecReload and ExecStop work.
  const [cmd = "", ...args] = words(unit, "ExecStart");
  const daemon = new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).spawn();
  const status = daemon.status;
  await waitFor(async () => {
    const ctl = await taskmaster(["ctl", "-c", config, "status"]);
    return ctl.stdout.includes("RUNNING") ? true : null;
  }, { what: "the daemon started by ExecStart to run its program", timeout: 30_000 });
  const [stop = "", ...stopArgs] = words(unit, "ExecStop");
  const stopped = await run(stop, stopArgs);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.equal((await status).code, 0);
  assert.ok(!alive(daemon.pid));
});

Deno.test("startup openrc and launchd: a valid sh script and a plist that parse", async () => {
  await using dir = await tempDir();
  const config = await writeConfig(`${dir}`, CONFIG);
  const openrc = await taskmaster(["startup", "openrc", "-c", config]);
  assert.equal(openrc.code, 0, openrc.stderr);
  assert.ok(openrc.stdout.startsWith("#!/sbin/openrc-run\n"));
  includes(openrc.stdout, 'start-stop-daemon --signal HUP --pidfile "${pidfile}"');
  includes(openrc.stdout, `ctl -c ${config} shutdown`);
  await Deno.writeTextFile(`${dir}/openrc`, openrc.stdout);
  const syntax = await run("/bin/sh", ["-n", `${dir}/openrc`]);
  assert.equal(syntax.code, 0, syntax.stderr);

  const launchd = await taskmaster(["startup", "launchd", "-c", config]);
  assert.equal(launchd.code, 0, launchd.stderr);
  // Python's plistlib is Apple's format, read by the same rules as launchd's.
  const parsed = await run("/usr/bin/python3", [
    "-c",
    "import plistlib,sys,json; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))",
  ], launchd.stdout);
  assert.equal(parsed.code, 0, parsed.stderr);
  const plist = JSON.parse(parsed.stdout);
  assert.equal(plist.Label, "io.taskmaster.taskmaster-app");
  assert.deepEqual(plist.ProgramArguments.slice(-3), ["-c", config, "--no-shell"]);
  assert.equal(plist.RunAtLoad, true);
});

Deno.test("startup --install writes the unit where asked; bad input exits 2", async () => {
  await using dir = await tempDir();
  const config = await writeConfig(`${dir}`, CONFIG);
  const installed = await taskmaster([
    "startup",
    "systemd",
    "-c",
    config,
    "--install",
    "--unit-dir",
    `${dir}/units`,
    "--name",
    "tm-web",
  ]);
  assert.equal(installed.code, 0, installed.stderr);
  includes(installed.stdout, `wrote ${dir}/units/tm-web.service\n`);
  includes(installed.stdout, "enable it with: systemctl link");
  includes(
    await Deno.readTextFile(`${dir}/units/tm-web.service`),
    "ExecReload=/bin/kill -HUP $MAINPID",
  );

  const unknown = await taskmaster(["startup", "upstart", "-c", config]);
  assert.equal(unknown.code, 2);
  includes(unknown.stderr, `unknown init system "upstart"`);
  const bad = await writeConfig(`${dir}`, "programs:\n  x:\n    cmd: /bin/true\n    bogus: 1\n");
  const invalid = await taskmaster(["startup", "systemd", "-c", bad]);
  assert.equal(invalid.code, 2);
  includes(invalid.stderr, `program "x": key "bogus": unknown key`);
});

Deno.test("startup systemd --install writes the unit to /etc/systemd/system and enables it at boot", async () => {
  requireTool("/usr/bin/systemctl", "systemd");
  await using dir = await tempDir();
  const config = await writeConfig(`${dir}`, CONFIG);
  const name = `tm-test-${crypto.randomUUID().slice(0, 8)}`;
  const unit = `/etc/systemd/system/${name}.service`;
  const wants = `/etc/systemd/system/multi-user.target.wants/${name}.service`;
  try {
    const result = await taskmaster([
      "startup",
      "systemd",
      "-c",
      config,
      "--install",
      "--name",
      name,
    ]);
    assert.equal(result.code, 0, result.stderr);
    includes(result.stdout, `wrote ${unit}\n`);
    includes(result.stdout, `ran systemctl enable ${name}.service\n`);
    includes(await Deno.readTextFile(unit), `ExecStop=`);
    // Enabled: linked into the boot target.
    assert.equal(await Deno.realPath(wants), unit);
  } finally {
    await run("systemctl", ["disable", `${name}.service`]);
    await Deno.remove(unit).catch(() => {});
  }
  await assert.rejects(() => Deno.lstat(wants));
});
