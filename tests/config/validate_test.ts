import assert from "node:assert/strict";
import type { ProgramConfig } from "../../src/config/types.ts";
import { FILE, issues, lines, valid, web, webProgram } from "./_helpers.ts";

Deno.test("validateConfig() applies every documented default to a program with only cmd", () => {
  const p = webProgram();
  assert.deepEqual(p, {
    name: "web",
    cmd: "sleep 1",
    argv: ["sleep", "1"],
    numprocs: 1,
    priority: 999,
    autostart: true,
    autorestart: "unexpected",
    exitcodes: [0],
    startretries: 3,
    starttime: 1,
    stopsignal: "SIGTERM",
    stoptime: 10,
    stdout: { target: { kind: "auto" }, maxBytes: 52428800, backups: 10 },
    stderr: { target: { kind: "auto" }, maxBytes: 52428800, backups: 10 },
    timestamps: false,
    flushPartialAfter: 0.2,
    stdoutEvents: false,
    stderrEvents: false,
    env: {},
    workingdir: null,
    umask: null,
    user: null,
    dependsOn: [],
    readiness: null,
    kubernetes: { image: null },
    liveness: null,
    maxMemory: null,
    flap: null,
  });
});

Deno.test("validateConfig() applies the daemon defaults relative to the config directory", () => {
  const c = valid(web());
  assert.equal(c.file, FILE);
  assert.deepEqual(c.settings, {
    logfile: "/cfg/taskmaster.log",
    logfileMaxBytes: 10485760,
    logfileBackups: 5,
    loglevel: "info",
    pidfile: "/cfg/taskmaster.pid",
    socket: "/cfg/taskmaster.sock",
    logdir: "/cfg/logs",
    shutdownOrder: "dependencies",
    http: null,
    maxConnections: 256,
    statefile: null,
    cgroup: null,
  });
});

// One row per accepted spelling of each option: the YAML line and what the program gets.
const OPTION_CASES: [string, (p: ProgramConfig) => unknown, unknown][] = [
  ["numprocs: 4", (p) => p.numprocs, 4],
  ["numprocs: 10000", (p) => p.numprocs, 10000],
  ["priority: -5", (p) => p.priority, -5],
  ["priority: 100", (p) => p.priority, 100],
  ["autostart: false", (p) => p.autostart, false],
  ["autorestart: always", (p) => p.autorestart, "always"],
  ["autorestart: never", (p) => p.autorestart, "never"],
  ["autorestart: Unexpected", (p) => p.autorestart, "unexpected"],
  ["autorestart: true", (p) => p.autorestart, "always"],
  ["autorestart: false", (p) => p.autorestart, "never"],
  ["exitcodes: 2", (p) => p.exitcodes, [2]],
  ["exitcodes: [0, 2, 255]", (p) => p.exitcodes, [0, 2, 255]],
  ["exitcodes: [1, 1, 0]", (p) => p.exitcodes, [1, 0]],
  ["startretries: 0", (p) => p.startretries, 0],
  ["starttime: 0.5", (p) => p.starttime, 0.5],
  ["starttime: 0", (p) => p.starttime, 0],
  ["stoptime: 2.5", (p) => p.stoptime, 2.5],
  ["stopsignal: TERM", (p) => p.stopsignal, "SIGTERM"],
  ["stopsignal: SIGINT", (p) => p.stopsignal, "SIGINT"],
  ["stopsignal: usr1", (p) => p.stopsignal, "SIGUSR1"],
  ["stopsignal: 15", (p) => p.stopsignal, "SIGTERM"],
  ["stopsignal: 9", (p) => p.stopsignal, "SIGKILL"],
  ["stopsignal: WINCH", (p) => p.stopsignal, "SIGWINCH"],
  ["stdout: /tmp/web.out", (p) => p.stdout.target, { kind: "file", path: "/tmp/web.out" }],
  ["stdout: logs/web.out", (p) => p.stdout.target, { kind: "file", path: "/cfg/logs/web.out" }],
  ["stdout: null", (p) => p.stdout.target, { kind: "discard" }],
  ["stdout:", (p) => p.stdout.target, { kind: "discard" }],
  ["stdout: /dev/null", (p) => p.stdout.target, { kind: "discard", devNull: true }],
  ["stdout: none", (p) => p.stdout.target, { kind: "discard" }],
  ["stderr: NONE", (p) => p.stderr.target, { kind: "discard" }],
  ["stdout: ./none", (p) => p.stdout.target, { kind: "file", path: "/cfg/none" }],
  ["stderr: ../err.log", (p) => p.stderr.target, { kind: "file", path: "/err.log" }],
  ["stderr: ~", (p) => p.stderr.target, { kind: "discard" }],
  ["stdout_maxbytes: 0", (p) => p.stdout.maxBytes, 0],
  ["stdout_maxbytes: 1000", (p) => p.stdout.maxBytes, 1000],
  ["stdout_maxbytes: 50MB", (p) => p.stdout.maxBytes, 50 * 1024 * 1024],
  ["stdout_maxbytes: 512KB", (p) => p.stdout.maxBytes, 512 * 1024],
  ["stderr_maxbytes: 1GB", (p) => p.stderr.maxBytes, 1024 ** 3],
  ["stderr_maxbytes: 2mb", (p) => p.stderr.maxBytes, 2 * 1024 ** 2],
  ['stderr_maxbytes: "100"', (p) => p.stderr.maxBytes, 100],
  ["stdout_backups: 0", (p) => p.stdout.backups, 0],
  ["stderr_backups: 3", (p) => p.stderr.backups, 3],
  ["timestamps: true", (p) => p.timestamps, true],
  ["stdout_events_enabled: true", (p) => p.stdoutEvents, true],
  ["stderr_events_enabled: true", (p) => p.stderrEvents, true],
  ["flush_partial_after: 0", (p) => p.flushPartialAfter, 0],
  ["flush_partial_after: 0.05", (p) => p.flushPartialAfter, 0.05],
  ["flush_partial_after: 200ms", (p) => p.flushPartialAfter, 0.2],
  ['flush_partial_after: "1.5s"', (p) => p.flushPartialAfter, 1.5],
  ["workingdir: /tmp", (p) => p.workingdir, "/tmp"],
  ["workingdir: data/run", (p) => p.workingdir, "/cfg/data/run"],
  ["workingdir: .", (p) => p.workingdir, "/cfg"],
  ["workingdir: null", (p) => p.workingdir, null],
  ["umask: null", (p) => p.umask, null],
  ["user: null", (p) => p.user, null],
  ["env: {}", (p) => p.env, {}],
];

for (const [line, get, expected] of OPTION_CASES) {
  Deno.test(`validateConfig() reads "${line}"`, () => {
    assert.deepEqual(get(webProgram(line)), expected);
  });
}

// umask is always the octal digits written, whatever YAML thinks the number is.
const UMASK_CASES: [string, number][] = [
  ["umask: 022", 0o022],
  ['umask: "022"', 0o022],
  ["umask: '022'", 0o022],
  ["umask: 0o22", 0o022],
  ["umask: 22", 0o022],
  ["umask: 0022", 0o022],
  ["umask: 077", 0o077],
  ["umask: 0", 0],
  ["umask: 777", 0o777],
  ["umask: 002", 0o002],
];

for (const [line, expected] of UMASK_CASES) {
  Deno.test(`validateConfig() reads "${line}" as 0o${expected.toString(8)}`, () => {
    assert.equal(webProgram(line).umask, expected);
  });
}

Deno.test("validateConfig() splits cmd like a POSIX shell, without expansion", () => {
  const p = valid([
    "programs:",
    "  web:",
    `    cmd: /usr/bin/python3 -c 'print("a b")' "two words" back\\ slash $HOME`,
  ].join("\n")).programs.get("web");
  assert.deepEqual(p?.argv, [
    "/usr/bin/python3",
    "-c",
    'print("a b")',
    "two words",
    "back slash",
    "$HOME",
  ]);
  assert.equal(p?.cmd, `/usr/bin/python3 -c 'print("a b")' "two words" back\\ slash $HOME`);
});

Deno.test("validateConfig() accepts cmd as a list of arguments, numbers kept as written", () => {
  const p = valid("programs:\n  web:\n    cmd: [sleep, 0100, 'a b']\n").programs.get("web");
  assert.deepEqual(p?.argv, ["sleep", "0100", "a b"]);
  assert.equal(p?.cmd, "sleep 0100 'a b'");
});

Deno.test("validateConfig() stringifies env values, keeping numbers as written", () => {
  const p = webProgram(
    "env: { ANSWER: 42, DEBUG: true, OFF: false, PORT: 0080, RATIO: 1.50, NAME: web, EMPTY: '' }",
  );
  assert.deepEqual(p.env, {
    ANSWER: "42",
    DEBUG: "true",
    OFF: "false",
    PORT: "0080",
    RATIO: "1.50",
    NAME: "web",
    EMPTY: "",
  });
});

Deno.test("validateConfig() resolves user to the passwd account when running as root", () => {
  assert.deepEqual(webProgram("user: nobody").user, {
    name: "nobody",
    uid: 65534,
    gid: 65534,
    home: "/nonexistent",
    shell: "/usr/sbin/nologin",
  });
  assert.equal(webProgram("user: 1000").user?.name, "alice");
});

Deno.test("validateConfig() refuses user when not running as root, naming the program", () => {
  assert.deepEqual(lines(web("user: nobody"), false), [
    `${FILE}:4:11: program "web": key "user": running as user "nobody" requires taskmaster to run as root`,
  ]);
});

Deno.test("validateConfig() keeps programs in file order", () => {
  const c = valid("programs:\n  zeta: {cmd: a}\n  alpha: {cmd: b}\n  mid: {cmd: c}\n");
  assert.deepEqual([...c.programs.keys()], ["zeta", "alpha", "mid"]);
});

Deno.test("validateConfig() reads the services list form", () => {
  const c = valid([
    "services:",
    "  - name: worker",
    "    cmd: sleep 100",
    "    numprocs: 2",
    "  - name: 42",
    "    cmd: [sleep, 1]",
  ].join("\n"));
  assert.deepEqual([...c.programs.keys()], ["worker", "42"]);
  assert.equal(c.programs.get("worker")?.numprocs, 2);
  assert.equal(c.programs.get("worker")?.name, "worker");
});

Deno.test("validateConfig() merges programs and services", () => {
  const c = valid("programs:\n  web: {cmd: a}\nservices:\n  - {name: worker, cmd: b}\n");
  assert.deepEqual([...c.programs.keys()], ["web", "worker"]);
});

Deno.test("validateConfig() reads every taskmaster: setting", () => {
  const c = valid([
    "taskmaster:",
    "  logfile: log/tm.log",
    "  logfile_maxbytes: 1MB",
    "  logfile_backups: 0",
    "  loglevel: warn",
    "  pidfile: /run/tm.pid",
    "  socket: run/tm.sock",
    "  logdir: /var/log/tm",
    "  shutdown_order: parallel",
    "  max_connections: 8",
    "  statefile: run/tm.state",
    "  cgroup: /sys/fs/cgroup/tm",
    "programs:",
    "  web: {cmd: x}",
  ].join("\n"));
  assert.deepEqual(c.settings, {
    logfile: "/cfg/log/tm.log",
    logfileMaxBytes: 1048576,
    logfileBackups: 0,
    loglevel: "warning",
    pidfile: "/run/tm.pid",
    socket: "/cfg/run/tm.sock",
    logdir: "/var/log/tm",
    shutdownOrder: "parallel",
    http: null,
    maxConnections: 8,
    statefile: "/cfg/run/tm.state",
    cgroup: "/sys/fs/cgroup/tm",
  });
});

Deno.test("validateConfig() takes cgroup: false for process groups only, and refuses a relative cgroup", () => {
  assert.equal(
    valid("taskmaster:\n  cgroup: false\nprograms:\n  web: {cmd: x}\n").settings.cgroup,
    false,
  );
  assert.deepEqual(lines("taskmaster:\n  cgroup: tm\nprograms:\n  web: {cmd: x}\n"), [
    '/cfg/taskmaster.yaml:2:11: key "taskmaster.cgroup": expected an absolute cgroup directory or false, got "tm"',
  ]);
});

for (const level of ["debug", "info", "warning", "error", "ERROR", "Warn"]) {
  Deno.test(`validateConfig() accepts loglevel ${level}`, () => {
    const c = valid(`taskmaster:\n  loglevel: ${level}\nprograms:\n  web: {cmd: x}\n`);
    assert.equal(
      c.settings.loglevel,
      level.toLowerCase() === "warn" ? "warning" : level.toLowerCase(),
    );
  });
}

Deno.test("validateConfig() accepts an empty taskmaster: section", () => {
  assert.equal(valid("taskmaster:\nprograms:\n  web: {cmd: x}\n").settings.loglevel, "info");
});

Deno.test("validateConfig() takes options from a YAML merge key, written keys winning", () => {
  const c = valid([
    "x-defaults: &defaults",
    "  numprocs: 3",
    "  stoptime: 30",
    "programs:",
    "  web:",
    "    <<: *defaults",
    "    cmd: sleep 2",
    "    numprocs: 1",
    "  worker:",
    "    <<: *defaults",
    "    cmd: sleep 3",
  ].join("\n"));
  const w = c.programs.get("web");
  const k = c.programs.get("worker");
  assert.deepEqual([w?.numprocs, w?.stoptime], [1, 30]);
  assert.deepEqual([k?.numprocs, k?.stoptime], [3, 30]);
});

Deno.test("validateConfig() still checks options that came from a merge key", () => {
  assert.deepEqual(lines("x-d: &d\n  numprocs: 0\nprograms:\n  web:\n    <<: *d\n    cmd: a\n"), [
    `${FILE}:2:13: program "web": key "numprocs": expected an integer >= 1, got 0`,
  ]);
});

Deno.test("validateConfig() reports nothing but the issues: issue fields are filled", () => {
  const [issue] = issues(web("numprocs: two"));
  assert.deepEqual(issue, {
    file: FILE,
    line: 4,
    column: 15,
    program: "web",
    key: "numprocs",
    message: 'expected an integer >= 1, got "two"',
  });
});
