import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/load.ts";
import type { ProgramConfig, TaskmasterConfig } from "../../src/config/types.ts";
import { streamPath } from "../../src/export/names.ts";
import { tempDir } from "../_helpers/daemon.ts";
import { includes, requireTool, run, taskmaster, writeConfig } from "./_helpers.ts";

/** supervisord 4.2.5's own ServerOptions parser, run on `conf`: each program's settings. */
async function supervisordParse(conf: string) {
  requireTool("/usr/lib/python3/dist-packages/supervisor/options.py", "supervisor");
  const script = `
import json, sys
from supervisor.options import ServerOptions
from supervisor.datatypes import RestartUnconditionally, RestartWhenExitUnexpected
restart = {False: "false", RestartUnconditionally: "true", RestartWhenExitUnexpected: "unexpected"}
o = ServerOptions()
o.realize(args=["-c", sys.argv[1]])
out = {}
for g in o.process_group_configs:
    for p in g.process_configs:
        out[p.name] = dict(group=g.name, command=p.command, priority=p.priority,
            autostart=p.autostart, autorestart=restart[p.autorestart], exitcodes=list(p.exitcodes),
            startretries=p.startretries, startsecs=p.startsecs, stopsignal=p.stopsignal,
            stopwaitsecs=p.stopwaitsecs, stopasgroup=p.stopasgroup, killasgroup=p.killasgroup,
            redirect_stderr=p.redirect_stderr, stdout_logfile=p.stdout_logfile,
            stderr_logfile=p.stderr_logfile, stdout_maxbytes=p.stdout_logfile_maxbytes,
            environment=p.environment, directory=p.directory, umask=p.umask, uid=p.uid)
print(json.dumps(out))
`;
  // Debian's python3, the one the supervisor package is installed for.
  const result = await run("/usr/bin/python3", ["-c", script, conf]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

Deno.test("export supervisord: supervisord's own parser reads the file back with every setting", async () => {
  await using dir = await tempDir();
  const config = await writeConfig(`${dir}`);
  const result = await taskmaster(["export", "supervisord", "-c", config, "-o", `${dir}/sd`]);
  assert.equal(result.code, 0, result.stderr);
  const programs = await supervisordParse(`${dir}/sd/supervisord.conf`);
  assert.deepEqual(Object.keys(programs).sort(), ["manual", "migrate", "web_0", "web_1", "worker"]);
  const web = programs.web_0;
  assert.equal(web.group, "web");
  assert.equal(web.command, `/bin/sh -c 'echo "hello world" 100%; exec sleep 1000'`);
  assert.equal(web.autorestart, "true");
  assert.equal(web.startsecs, 2);
  assert.equal(web.stopsignal, 2); // SIGINT
  assert.equal(web.stopwaitsecs, 7);
  assert.equal(web.stopasgroup, true);
  assert.equal(web.killasgroup, true);
  assert.equal(web.redirect_stderr, true);
  assert.equal(web.stdout_logfile, `${dir}/logs/web.log`);
  assert.deepEqual(web.environment, { GREETING: "hi there", PCT: "50%", DOLLAR: "$HOME" });
  assert.equal(web.directory, "/tmp");
  assert.equal(web.umask, 0o27);
  assert.equal(web.uid, 1); // daemon
  const worker = programs.worker;
  assert.equal(worker.autorestart, "unexpected");
  assert.deepEqual(worker.exitcodes, [0, 2]);
  assert.equal(worker.stdout_logfile, null);
  assert.equal(worker.stderr_logfile, `${dir}/logs/worker.err.log`);
  assert.equal(programs.migrate.autorestart, "false");
  assert.equal(programs.migrate.startretries, 1);
  assert.equal(programs.manual.autostart, false);
  includes(result.stderr, `wrote ${dir}/sd/supervisord.conf`);
});

Deno.test("export supervisord: timestamps and fractional seconds are reported as not expressible", async () => {
  await using dir = await tempDir();
  const config = await writeConfig(
    `${dir}`,
    "programs:\n  web:\n    cmd: /bin/sleep 10\n    timestamps: true\n    stoptime: 0.5\n",
  );
  const result = await taskmaster(["export", "supervisord", "-c", config, "--strict"]);
  assert.equal(result.code, 2);
  includes(result.stderr, `supervisord: program "web": key "timestamps": no equivalent`);
  includes(result.stderr, `supervisord: program "web": key "stoptime": 0.5 s rounded up to 1`);
  includes(result.stdout, "stopwaitsecs=1\n");
});

Deno.test("export supervisord then taskmaster import gives back the same programs (what supervisord can hold)", async () => {
  await using dir = await tempDir();
  const config = await writeConfig(`${dir}`);
  const exported = await taskmaster(["export", "supervisord", "-c", config, "-o", `${dir}/sd`]);
  assert.equal(exported.code, 0, exported.stderr);
  const imported = await taskmaster(["import", `${dir}/sd/supervisord.conf`]);
  assert.equal(imported.code, 0, imported.stderr);
  await Deno.writeTextFile(`${dir}/back.yaml`, imported.stdout);
  const env = {
    isRoot: true,
    lookupUser: () => ({ name: "u", uid: 1, gid: 1, home: "/", shell: "" }),
  };
  const before = await loadConfig(config, env);
  const after = await loadConfig(`${dir}/back.yaml`, env);
  assert.ok(before.ok && after.ok, JSON.stringify(after));
  // `auto` output comes back as the file it stands for.
  const file = (c: TaskmasterConfig, p: ProgramConfig, which: "stdout" | "stderr") => ({
    path: streamPath(c, p[which].target, which, p.name),
    maxBytes: p[which].maxBytes,
    backups: p[which].backups,
  });
  const kept = (c: TaskmasterConfig) => (p: ProgramConfig) => ({
    argv: p.argv,
    numprocs: p.numprocs,
    priority: p.priority,
    autostart: p.autostart,
    autorestart: p.autorestart,
    exitcodes: p.exitcodes,
    startretries: p.startretries,
    starttime: p.starttime,
    stopsignal: p.stopsignal,
    stoptime: p.stoptime,
    env: p.env,
    workingdir: p.workingdir,
    umask: p.umask,
    stdout: file(c, p, "stdout"),
    stderr: file(c, p, "stderr"),
  });
  assert.deepEqual(
    [...after.config.programs.values()].map(kept(after.config)),
    [...before.config.programs.values()].map(kept(before.config)),
  );
});
