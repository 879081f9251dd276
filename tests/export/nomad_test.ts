import assert from "node:assert/strict";
import { parse } from "@cdktf/hcl2json";
import { tempDir } from "../_helpers/daemon.ts";
import { includes, taskmaster, writeConfig } from "./_helpers.ts";

Deno.test("export nomad: one job, a group per program, parsed back by HashiCorp's HCL parser", async () => {
  await using dir = await tempDir();
  const config = await writeConfig(`${dir}`);
  const result = await taskmaster(["export", "nomad", "-c", config]);
  assert.equal(result.code, 0, result.stderr);
  // hcl2json is HashiCorp's own HCL2 parser compiled to wasm: it rejects what Nomad would.
  const job = (await parse("app.nomad.hcl", result.stdout)).job.app[0];
  assert.equal(job.type, "service");
  const groups = job.group;
  assert.deepEqual(Object.keys(groups).sort(), ["manual", "migrate", "web", "worker"]);
  const web = groups.web[0];
  assert.equal(web.count, 2);
  assert.deepEqual(web.restart[0], { attempts: 3, interval: "22s", delay: "1s", mode: "fail" });
  const task = web.task.web[0];
  assert.equal(task.driver, "raw_exec");
  assert.equal(task.kill_signal, "SIGINT");
  assert.equal(task.kill_timeout, "7s");
  assert.equal(task.user, "daemon");
  assert.equal(task.config[0].command, "/bin/sh");
  assert.deepEqual(task.config[0].args, ["-c", `echo "hello world" 100%; exec sleep 1000`]);
  assert.equal(task.config[0].work_dir, "/tmp");
  assert.deepEqual(task.env[0], { GREETING: "hi there", PCT: "50%", DOLLAR: "$HOME" });
  assert.equal(groups.migrate[0].restart[0].attempts, 0);
  assert.equal(groups.manual[0].count, 0);
  includes(result.stderr, `nomad: program "web": key "umask": no equivalent`);
});

Deno.test("export nomad: ${...} in a value stays literal (HCL would interpolate it)", async () => {
  await using dir = await tempDir();
  const config = await writeConfig(
    `${dir}`,
    `programs:\n  web:\n    cmd: "/bin/echo \${NOT_EXPANDED}"\n    env: {X: "%{y}"}\n`,
  );
  const result = await taskmaster(["export", "nomad", "-c", config, "--driver", "exec"]);
  assert.equal(result.code, 0, result.stderr);
  const task = (await parse("x.hcl", result.stdout)).job.app[0].group.web[0].task.web[0];
  assert.equal(task.driver, "exec");
  assert.deepEqual(task.config[0].args, ["${NOT_EXPANDED}"]);
  // hcl2json hands a literal `%{` back in its escaped spelling (a directive would have failed).
  assert.deepEqual(task.env[0], { X: "%%{y}" });
});
