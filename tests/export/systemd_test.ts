import assert from "node:assert/strict";
import { tempDir } from "../_helpers/daemon.ts";
import { includes, requireTool, run, taskmaster, writeConfig } from "./_helpers.ts";

/** `systemd-analyze verify` on every unit; templates through an instance link. */
async function verify(dir: string): Promise<{ code: number; stderr: string }> {
  requireTool("/usr/bin/systemd-analyze", "systemd");
  const units: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.endsWith("@.service")) {
      const instance = entry.name.replace("@.service", "@0.service");
      await Deno.symlink(entry.name, `${dir}/${instance}`);
      units.push(`${dir}/${instance}`);
    } else {
      units.push(`${dir}/${entry.name}`);
    }
  }
  const out = await run("systemd-analyze", ["verify", ...units.sort()]);
  return { code: out.code, stderr: out.stderr };
}

Deno.test("export systemd: a target and one unit per program pass systemd-analyze verify without a warning", async () => {
  await using dir = await tempDir();
  const config = await writeConfig(`${dir}`);
  const out = `${dir}/units`;
  const result = await taskmaster(["export", "systemd", "-c", config, "-o", out]);
  assert.deepEqual(result.code, 0, result.stderr);
  const names = [...Deno.readDirSync(out)].map((e) => e.name).sort();
  assert.deepEqual(names, [
    "app-manual.service",
    "app-migrate.service",
    "app-web@.service",
    "app-worker.service",
    "app.target",
  ]);
  const verified = await verify(out);
  assert.deepEqual(verified.stderr, "");
  assert.deepEqual(verified.code, 0);
});

Deno.test("export systemd: every option with an equivalent is mapped", async () => {
  await using dir = await tempDir();
  const config = await writeConfig(`${dir}`);
  const out = `${dir}/units`;
  assert.deepEqual((await taskmaster(["export", "systemd", "-c", config, "-o", out])).code, 0);
  const web = await Deno.readTextFile(`${out}/app-web@.service`);
  for (
    const line of [
      `ExecStart=/bin/sh -c "echo \\"hello world\\" 100%%; exec sleep 1000"`,
      "UMask=0027",
      "User=daemon",
      "Group=daemon",
      "WorkingDirectory=/tmp",
      `Environment="GREETING=hi there"`,
      "Environment=PCT=50%%",
      "Environment=DOLLAR=$HOME",
      "Restart=always",
      "RestartSec=1",
      "StartLimitBurst=4",
      "TimeoutStopSec=7",
      "KillSignal=SIGINT",
      "KillMode=control-group",
      `StandardOutput=append:${dir}/logs/web.log`,
      "StandardError=inherit",
      "PartOf=app.target",
      "After=app-worker.service",
      "Requires=app-worker.service",
      "MemoryMax=536870912",
      "WantedBy=app.target",
    ]
  ) includes(web, `${line}\n`);
  const worker = await Deno.readTextFile(`${out}/app-worker.service`);
  assert.match(worker, /^ExecStart=\/\S+\/sleep 1000$/m);
  includes(worker, "Restart=on-failure\n");
  includes(worker, "DynamicUser=yes\n");
  includes(worker, "SuccessExitStatus=2\n");
  includes(worker, "StandardOutput=null\n");
  includes(worker, `StandardError=append:${dir}/logs/worker.err.log\n`);
  const migrate = await Deno.readTextFile(`${out}/app-migrate.service`);
  includes(migrate, "Restart=no\n");
  includes(migrate, "StartLimitBurst=2\n");
  const target = await Deno.readTextFile(`${out}/app.target`);
  // autostart programs only; every instance of a template.
  includes(
    target,
    "Wants=app-web@0.service app-web@1.service app-worker.service app-migrate.service\n",
  );
});

Deno.test("export systemd: what cannot be expressed is listed per program and key, and --strict exits 2", async () => {
  await using dir = await tempDir();
  const config = await writeConfig(`${dir}`);
  const plain = await taskmaster(["export", "systemd", "-c", config]);
  assert.deepEqual(plain.code, 0);
  includes(plain.stdout, "# ==> app-web@.service <==\n");
  includes(plain.stderr, `systemd: program "web": key "starttime": no equivalent`);
  includes(plain.stderr, `systemd: program "web": key "stdout_maxbytes": no equivalent`);
  includes(plain.stderr, `systemd: program "web": key "depends_on": condition "healthy" of worker`);
  includes(plain.stderr, `systemd: program "worker": key "readiness": no equivalent`);
  const strict = await taskmaster(["export", "systemd", "-c", config, "--strict"]);
  assert.deepEqual(strict.code, 2);
  includes(strict.stderr, "cannot be expressed in systemd (--strict)");
  includes(strict.stdout, "[Service]");
});

Deno.test("export systemd: a config that fits exactly exports with nothing on stderr, even with --strict", async () => {
  await using dir = await tempDir();
  const config = await writeConfig(
    `${dir}`,
    `programs:\n  api:\n    cmd: /bin/sleep 100\n    starttime: 0\n    stdout: null\n    stderr: null\n`,
  );
  const result = await taskmaster(["export", "systemd", "-c", config, "--strict", "--app", "shop"]);
  assert.deepEqual(result.stderr, "");
  assert.deepEqual(result.code, 0);
  includes(result.stdout, "# ==> shop-api.service <==\n");
});

Deno.test("export: bad arguments and bad configs exit 2 with one clear message", async () => {
  await using dir = await tempDir();
  const config = await writeConfig(`${dir}`);
  const unknown = await taskmaster(["export", "docker", "-c", config]);
  assert.deepEqual(unknown.code, 2);
  includes(unknown.stderr, `unknown format "docker"`);
  const noConfig = await taskmaster(["export", "systemd"]);
  assert.deepEqual(noConfig.code, 2);
  includes(noConfig.stderr, "a configuration file is required (-c FILE)");
  const bad = await writeConfig(
    `${dir}`,
    "programs:\n  web:\n    cmd: /bin/true\n    numprocs: two\n",
  );
  const invalid = await taskmaster(["export", "nomad", "-c", bad]);
  assert.deepEqual(invalid.code, 2);
  assert.match(invalid.stderr, /app\.yaml:4:\d+: program "web": key "numprocs"/);
  assert.ok(!invalid.stderr.includes("    at "), "no stack trace");
});
