/**
 * `taskmaster import` round trip over a dozen real-world supervisord.conf
 * files: supervisor 4.2.5 itself loads each file (ServerOptions, through
 * dump_supervisord_config.py) and every process it would run must come out
 * of taskmaster's loader with the same settings; the output passes
 * `taskmaster check`.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/load.ts";
import type { TaskmasterConfig } from "../../src/config/types.ts";
import { runTaskmaster } from "../_helpers/daemon.ts";
import { requireSupervisor, run, SYSTEM_PYTHON } from "./_supervisor.ts";

const CONFS = new URL("./confs/", import.meta.url).pathname;
const DUMP = new URL("./dump_supervisord_config.py", import.meta.url).pathname;

interface SupervisordProcess {
  name: string;
  argv: string[];
  priority: number;
  autostart: boolean;
  autorestart: string;
  startsecs: number;
  startretries: number;
  stopsignal: string;
  stopwaitsecs: number;
  exitcodes: number[];
  environment: Record<string, string>;
  directory: string | null;
  umask: number | null;
  user: number | null;
  redirect_stderr: boolean;
  stdout_logfile: string | null;
  stderr_logfile: string | null;
  stdout_logfile_maxbytes: number;
  stdout_logfile_backups: number;
  stderr_logfile_maxbytes: number;
  stderr_logfile_backups: number;
  stdout_events_enabled: boolean;
  stderr_events_enabled: boolean;
  events: string[];
  buffer_size: number | null;
}

interface Dump {
  logfile: string;
  pidfile: string;
  childlogdir: string;
  groups: { name: string; kind: string; processes: SupervisordProcess[] }[];
}

/** The settings both sides must agree on, in one comparable shape. */
function fromSupervisord(p: SupervisordProcess): Record<string, unknown> {
  const joined = p.redirect_stderr ||
    (p.stderr_logfile !== null && p.stderr_logfile !== "auto" &&
      p.stderr_logfile === p.stdout_logfile);
  return {
    argv: p.argv,
    priority: p.priority,
    autostart: p.autostart,
    autorestart: p.autorestart,
    starttime: p.startsecs,
    startretries: p.startretries,
    stopsignal: p.stopsignal,
    stoptime: p.stopwaitsecs,
    exitcodes: p.exitcodes,
    env: p.environment,
    workingdir: p.directory,
    umask: p.umask,
    uid: p.user,
    stdout: p.stdout_logfile,
    stderr: joined ? "(stdout)" : p.stderr_logfile,
    stdout_maxbytes: p.stdout_logfile_maxbytes,
    stdout_backups: p.stdout_logfile_backups,
    stdout_events: p.stdout_events_enabled,
    stderr_events: p.stderr_events_enabled,
    // stderr in the stdout file: one file, the stdout rotation settings apply.
    ...(joined ? {} : {
      stderr_maxbytes: p.stderr_logfile_maxbytes,
      stderr_backups: p.stderr_logfile_backups,
    }),
  };
}

function fromTaskmaster(config: TaskmasterConfig): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const p of config.programs.values()) {
    for (let i = 0; i < p.numprocs; i++) {
      const name = p.numprocs === 1 ? p.name : `${p.name}:${i}`;
      const path = (t: typeof p.stdout.target, suffix: string) =>
        t.kind === "discard"
          ? null
          : t.kind === "auto"
          ? `${config.settings.logdir}/${name}.${suffix}.log`
          : t.path;
      const stdout = path(p.stdout.target, "out");
      const stderr = path(p.stderr.target, "err");
      const joined = stderr === stdout && p.stdout.target.kind !== "discard";
      out.push({
        argv: p.argv,
        priority: p.priority,
        autostart: p.autostart,
        autorestart: p.autorestart,
        starttime: p.starttime,
        startretries: p.startretries,
        stopsignal: p.stopsignal,
        stoptime: p.stoptime,
        exitcodes: p.exitcodes,
        env: p.env,
        workingdir: p.workingdir,
        umask: p.umask,
        uid: p.user?.uid ?? null,
        stdout: p.stdout.target.kind === "auto" ? "auto" : stdout,
        stderr: joined ? "(stdout)" : p.stderr.target.kind === "auto" ? "auto" : stderr,
        stdout_maxbytes: p.stdout.maxBytes,
        stdout_backups: p.stdout.backups,
        stdout_events: p.stdoutEvents,
        stderr_events: p.stderrEvents,
        ...(joined ? {} : { stderr_maxbytes: p.stderr.maxBytes, stderr_backups: p.stderr.backups }),
      });
    }
  }
  return out;
}

function assertIncludes(text: string, part: string): void {
  assert.ok(text.includes(part), `expected ${JSON.stringify(part)} in:\n${text}`);
}

const sortByJson = (list: Record<string, unknown>[]) =>
  list.map((r) => JSON.stringify(r, Object.keys(r).sort())).sort();

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyTree(`${from}/${entry.name}`, `${to}/${entry.name}`);
    else await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

const files = [...Deno.readDirSync(CONFS)].filter((e) => e.name.endsWith(".conf")).map((e) =>
  e.name
).sort();

Deno.test("the fixture set has a dozen supervisord.conf files", () => {
  assert.equal(files.length >= 12, true, `only ${files.length} files`);
});

for (const file of files) {
  Deno.test(`import ${file}: supervisord and taskmaster run the same processes`, async () => {
    requireSupervisor();
    const dir = await Deno.makeTempDir({ prefix: "tm-import-" });
    try {
      await copyTree(CONFS, dir);
      await Deno.mkdir(`${dir}/logs`);
      const conf = `${dir}/${file}`;
      const dumped = await run(SYSTEM_PYTHON, [DUMP, conf], { cwd: dir });
      assert.equal(dumped.code, 0, `supervisor rejected ${file}: ${dumped.stderr}`);
      const reference: Dump = JSON.parse(dumped.stdout);

      const imported = await runTaskmaster(["import", conf], "", { cwd: dir });
      assert.equal(imported.code, 0, imported.stderr);
      const yamlPath = `${dir}/taskmaster.yaml`;
      await Deno.writeTextFile(yamlPath, imported.stdout);
      const checked = await runTaskmaster(["check", "-c", yamlPath]);
      assert.equal(checked.code, 0, `${checked.stderr}\n--- yaml ---\n${imported.stdout}`);
      assert.match(checked.stdout, /: valid \(\d+ programs?\)/);

      const loaded = await loadConfig(yamlPath);
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
      const expected = reference.groups
        .filter((g) => g.kind !== "EventListenerPoolConfig")
        .flatMap((g) => g.processes.map(fromSupervisord));
      assert.deepEqual(sortByJson(fromTaskmaster(loaded.config)), sortByJson(expected));
      // Event listener pools: the same processes, events and buffer size.
      const pools = reference.groups.filter((g) => g.kind === "EventListenerPoolConfig");
      const listeners = loaded.config.eventlisteners ?? new Map();
      assert.deepEqual(
        [...listeners.entries()].map(([name, l]) => ({
          name,
          argv: l.program.argv,
          events: [...l.events].sort(),
          buffer: l.bufferSize,
        })).sort((a, b) => a.name.localeCompare(b.name)),
        pools.map((g) => ({
          name: g.name,
          argv: g.processes[0]!.argv,
          events: g.processes[0]!.events,
          buffer: g.processes[0]!.buffer_size,
        })).sort((a, b) => a.name.localeCompare(b.name)),
      );
      if (reference.logfile !== undefined && /^logfile\s*=/m.test(await Deno.readTextFile(conf))) {
        assert.equal(loaded.config.settings.logfile, reference.logfile);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("import: a bad expansion names the file, line, section and key; exit 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tm-import-" });
  try {
    await Deno.writeTextFile(
      `${dir}/bad.conf`,
      "[supervisord]\n\n[program:x]\ncommand=/bin/sleep %(nope)s\n",
    );
    const result = await runTaskmaster(["import", `${dir}/bad.conf`]);
    assert.equal(result.code, 2);
    assertIncludes(result.stderr, `${dir}/bad.conf:4: [program:x] command:`);
    assertIncludes(result.stderr, "%(nope)s cannot be expanded");
    assert.equal(result.stderr.includes("    at "), false, "no stack trace");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import: a password in [unix_http_server] is never copied", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tm-import-" });
  try {
    await Deno.writeTextFile(
      `${dir}/s.conf`,
      "[unix_http_server]\nfile=/tmp/x.sock\nusername=u\npassword=hunter2secret\n[supervisord]\n[program:x]\ncommand=/bin/true\n",
    );
    const result = await runTaskmaster(["import", `${dir}/s.conf`]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.includes("hunter2secret"), false);
    assertIncludes(result.stdout, "password (value not copied)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
