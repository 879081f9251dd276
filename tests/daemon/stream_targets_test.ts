import assert from "node:assert/strict";
import { sharedStreamTargets } from "../../src/daemon/daemon_config.ts";
import { program } from "../_helpers/program.ts";

Deno.test("instances of a program with fixed log files share one pair of targets", () => {
  const targets = sharedStreamTargets("/var/log/tm");
  const web = program({
    name: "web",
    numprocs: 3,
    stdout: { target: { kind: "file", path: "/logs/web.log" }, maxBytes: 1024, backups: 2 },
  });
  const first = targets(web, "web:0");
  assert.equal(targets(web, "web:1"), first);
  assert.deepEqual(first, {
    stdout: {
      path: "/logs/web.log",
      maxBytes: 1024,
      backups: 2,
      timestamps: web.timestamps,
      flushPartialAfterMs: web.flushPartialAfter * 1000,
    },
    stderr: {
      path: null,
      maxBytes: 0,
      backups: 0,
      timestamps: web.timestamps,
      flushPartialAfterMs: web.flushPartialAfter * 1000,
    },
  });
  // A reload's new config is read afresh.
  const reloaded = { ...web, stdout: { ...web.stdout, maxBytes: 4096 } };
  assert.equal(targets(reloaded, "web:0").stdout.maxBytes, 4096);
});

Deno.test("an auto log file is each instance's own", () => {
  const targets = sharedStreamTargets("/var/log/tm");
  const web = program({
    name: "web",
    numprocs: 2,
    stderr: { target: { kind: "auto" }, maxBytes: 0, backups: 0 },
  });
  assert.equal(targets(web, "web:0").stderr.path, "/var/log/tm/web:0.err.log");
  assert.equal(targets(web, "web:1").stderr.path, "/var/log/tm/web:1.err.log");
});
