import assert from "node:assert/strict";
import { parseConfigText } from "../../src/config/load.ts";
import { formatConfigIssue } from "../../src/config/validate.ts";
import { FILE, issues, lines, lookupUser, web } from "./_helpers.ts";

// One row per kind of mistake: the file text and the exact lines a user sees.
// web(...) puts "programs:" on line 1, "web:" on line 2 (column 3), "cmd" on 3, extras from 4.
const ERROR_CASES: [string, string, string[]][] = [
  ["a word for an integer", web("numprocs: two"), [
    `${FILE}:4:15: program "web": key "numprocs": expected an integer >= 1, got "two"`,
  ]],
  ["numprocs 0", web("numprocs: 0"), [
    `${FILE}:4:15: program "web": key "numprocs": expected an integer >= 1, got 0`,
  ]],
  ["numprocs over the cap", web("numprocs: 10001"), [
    `${FILE}:4:15: program "web": key "numprocs": expected an integer <= 10000, got 10001`,
  ]],
  ["a fraction for an integer", web("startretries: 1.5"), [
    `${FILE}:4:19: program "web": key "startretries": expected an integer >= 0, got 1.5`,
  ]],
  ["a negative retry count", web("startretries: -1"), [
    `${FILE}:4:19: program "web": key "startretries": expected an integer >= 0, got -1`,
  ]],
  ["a quoted number", web('numprocs: "3"'), [
    `${FILE}:4:15: program "web": key "numprocs": expected an integer >= 1, got "3" (a string: remove the quotes)`,
  ]],
  ["a fraction for priority", web("priority: 1.5"), [
    `${FILE}:4:15: program "web": key "priority": expected an integer, got 1.5`,
  ]],
  ["negative seconds", web("starttime: -1"), [
    `${FILE}:4:16: program "web": key "starttime": expected a number of seconds >= 0, got -1`,
  ]],
  ["seconds with a unit", web("stoptime: 10s"), [
    `${FILE}:4:15: program "web": key "stoptime": expected a number of seconds >= 0, got "10s"`,
  ]],
  ["infinite seconds", web("stoptime: .inf"), [
    `${FILE}:4:15: program "web": key "stoptime": expected a number of seconds >= 0, got .inf`,
  ]],
  ["starttime past the timer range", web("starttime: 3000000"), [
    `${FILE}:4:16: program "web": key "starttime": expected a number of seconds <= 2147483 (the maximum), got 3000000`,
  ]],
  ["stoptime past the timer range", web("stoptime: 1e12"), [
    `${FILE}:4:15: program "web": key "stoptime": expected a number of seconds <= 2147483 (the maximum), got 1e12`,
  ]],
  ["milliseconds written as seconds", web("flush_partial_after: 200"), [
    `${FILE}:4:26: program "web": key "flush_partial_after": expected at most 10 seconds, got 200 (for milliseconds write "200ms")`,
  ]],
  ["a word for a delay", web("flush_partial_after: soon"), [
    `${FILE}:4:26: program "web": key "flush_partial_after": expected a number of seconds >= 0 (like 0.2) or a duration like "200ms", got "soon"`,
  ]],
  ["yes for a boolean (YAML 1.2)", web("autostart: yes"), [
    `${FILE}:4:16: program "web": key "autostart": expected true or false, got "yes"`,
  ]],
  ["an unknown autorestart", web("autorestart: sometimes"), [
    `${FILE}:4:18: program "web": key "autorestart": expected "always", "never" or "unexpected", got "sometimes"`,
  ]],
  ["a misspelt autorestart", web("autorestart: allways"), [
    `${FILE}:4:18: program "web": key "autorestart": expected "always", "never" or "unexpected", got "allways"; did you mean "always"?`,
  ]],
  ["an exit code over 255", web("exitcodes: [0, 256]"), [
    `${FILE}:4:20: program "web": key "exitcodes": expected an exit code from 0 to 255, got 256`,
  ]],
  ["a word as exit code", web("exitcodes: ok"), [
    `${FILE}:4:16: program "web": key "exitcodes": expected an exit code from 0 to 255, got "ok"`,
  ]],
  ["an unknown signal", web("stopsignal: FOO"), [
    `${FILE}:4:17: program "web": key "stopsignal": unknown signal "FOO" (expected one of TERM, HUP, INT, QUIT, KILL, USR1, USR2, CONT, STOP, TSTP, WINCH, ALRM, PIPE)`,
  ]],
  ["a misspelt signal", web("stopsignal: SIGTREM"), [
    `${FILE}:4:17: program "web": key "stopsignal": unknown signal "SIGTREM" (expected one of TERM, HUP, INT, QUIT, KILL, USR1, USR2, CONT, STOP, TSTP, WINCH, ALRM, PIPE); did you mean "TERM"?`,
  ]],
  ["an unknown signal number", web("stopsignal: 99"), [
    `${FILE}:4:17: program "web": key "stopsignal": unknown signal 99 (expected one of TERM, HUP, INT, QUIT, KILL, USR1, USR2, CONT, STOP, TSTP, WINCH, ALRM, PIPE)`,
  ]],
  ["umask with an 8", web("umask: 028"), [
    `${FILE}:4:12: program "web": key "umask": invalid umask 028: octal digits are 0-7`,
  ]],
  ["quoted umask with a 9", web('umask: "0o19"'), [
    `${FILE}:4:12: program "web": key "umask": invalid umask "0o19": octal digits are 0-7`,
  ]],
  ["umask over 777", web("umask: 1000"), [
    `${FILE}:4:12: program "web": key "umask": invalid umask 1000: at most 777`,
  ]],
  ["umask in hex", web("umask: 0x12"), [
    `${FILE}:4:12: program "web": key "umask": expected an octal umask such as 022, got 0x12`,
  ]],
  ["umask as a word", web("umask: strict"), [
    `${FILE}:4:12: program "web": key "umask": expected an octal umask such as 022, got "strict"`,
  ]],
  ["a bad size", web("stdout_maxbytes: 50XB"), [
    `${FILE}:4:22: program "web": key "stdout_maxbytes": expected a byte count >= 0 or a size such as "50MB", "512KB" or "1GB", got "50XB"`,
  ]],
  ["a negative size", web("stderr_maxbytes: -1"), [
    `${FILE}:4:22: program "web": key "stderr_maxbytes": expected a byte count >= 0 or a size such as "50MB", "512KB" or "1GB", got -1`,
  ]],
  ["a list for a path", web("stdout: [a, b]"), [
    `${FILE}:4:13: program "web": key "stdout": expected a non-empty string, got a list`,
  ]],
  ["an empty workingdir", web('workingdir: ""'), [
    `${FILE}:4:17: program "web": key "workingdir": expected a non-empty string, got ""`,
  ]],
  ["a null env value", web("env: { A: 1, B: null }"), [
    `${FILE}:4:21: program "web": key "env": environment variable "B": expected a string, number or boolean, got null (write "" for an empty value)`,
  ]],
  ["an invalid env name", web("env: { 1A: x }"), [
    `${FILE}:4:12: program "web": key "env": invalid environment variable name "1A": use letters, digits and "_", not starting with a digit`,
  ]],
  ["a duplicate env variable", web("env: {A: 1, A: 2}"), [
    `${FILE}:4:17: program "web": key "env": duplicate environment variable "A"`,
  ]],
  ["a list for env", web("env: [A=1]"), [
    `${FILE}:4:10: program "web": key "env": expected a mapping of NAME: value, got a list`,
  ]],
  ["an unknown user", web("user: bob"), [
    `${FILE}:4:11: program "web": key "user": unknown user "bob" (not in the passwd database)`,
  ]],
  ["an unknown program key", web("numproc: 2"), [
    `${FILE}:4:5: program "web": key "numproc": unknown key "numproc"; did you mean "numprocs"?`,
  ]],
  ["a supervisord key", web("stopwaitsecs: 5"), [
    `${FILE}:4:5: program "web": key "stopwaitsecs": unknown key "stopwaitsecs"; did you mean "stoptime"?`,
  ]],
  ["an unknown key with nothing close", web("frobnicate: 1"), [
    `${FILE}:4:5: program "web": key "frobnicate": unknown key "frobnicate"`,
  ]],
  ["a duplicate key", web("numprocs: 1", "numprocs: 2"), [
    `${FILE}:5:5: program "web": key "numprocs": duplicate key (first set on line 4)`,
  ]],
  ["a missing cmd", "programs:\n  web:\n    numprocs: 2\n", [
    `${FILE}:2:3: program "web": key "cmd": missing required key "cmd"`,
  ]],
  ["a program with no options", "programs:\n  web:\n", [
    `${FILE}:2:3: program "web": key "cmd": missing required key "cmd"`,
  ]],
  ["an empty cmd", 'programs:\n  web:\n    cmd: "  "\n', [
    `${FILE}:3:10: program "web": key "cmd": expected a non-empty command, got "  "`,
  ]],
  ["an unclosed quote in cmd", "programs:\n  web:\n    cmd: echo 'hi\n", [
    `${FILE}:3:10: program "web": key "cmd": cannot split the command into words: a quote is not closed`,
  ]],
  ["a number for cmd", "programs:\n  web:\n    cmd: 42\n", [
    `${FILE}:3:10: program "web": key "cmd": expected a command string or a non-empty list of arguments, got 42`,
  ]],
  ["an empty cmd list", "programs:\n  web:\n    cmd: []\n", [
    `${FILE}:3:10: program "web": key "cmd": expected a command string or a non-empty list of arguments, got a list`,
  ]],
  ["a mapping in a cmd list", "programs:\n  web:\n    cmd: [a, {b: c}]\n", [
    `${FILE}:3:14: program "web": key "cmd": expected each argument to be a string, got a mapping`,
  ]],
  ["a program that is a string", "programs:\n  web: sleep 1\n", [
    `${FILE}:2:8: program "web": expected a mapping of options, got "sleep 1"`,
  ]],
  ["a name with a colon", "programs:\n  'web:1': {cmd: a}\n", [
    `${FILE}:2:3: invalid program name "web:1": use only letters, digits, "_", "." and "-" (":" separates instance numbers)`,
  ]],
  ["a name with a space", "programs:\n  my web: {cmd: a}\n", [
    `${FILE}:2:3: invalid program name "my web": use only letters, digits, "_", "." and "-" (":" separates instance numbers)`,
  ]],
  ["the reserved name all", "programs:\n  all: {cmd: a}\n", [
    `${FILE}:2:3: program name "all" is reserved: commands use it for every program`,
  ]],
  ["a program defined twice", "programs:\n  web: {cmd: a}\n  web: {cmd: b}\n", [
    `${FILE}:3:3: program "web": duplicate program (first defined on line 2)`,
  ]],
  [
    "the same name in programs and services",
    "programs:\n  web: {cmd: a}\nservices:\n  - name: web\n    cmd: b\n",
    [
      `${FILE}:4:11: program "web": duplicate program (first defined on line 2)`,
    ],
  ],
  ["a service without a name", "services:\n  - cmd: a\n", [
    `${FILE}:2:5: key "name": missing required key "name"`,
  ]],
  ["a service that is a string", "services:\n  - web\n", [
    `${FILE}:2:5: key "services": expected a mapping of options with a "name:", got "web"`,
  ]],
  ["services as a mapping", "services:\n  web: {cmd: a}\n", [
    `${FILE}:2:3: key "services": expected a list of programs, each with a "name:", got a mapping`,
  ]],
  ["programs as a list", "programs:\n  - web\n", [
    `${FILE}:2:3: key "programs": expected a mapping of program names to options, got a list`,
  ]],
  ["an empty file", "", [`${FILE}:1:1: no programs defined: add a "programs:" mapping`]],
  ["a comment-only file", "# nothing yet\n", [
    `${FILE}:1:1: no programs defined: add a "programs:" mapping`,
  ]],
  ["an empty programs", "taskmaster:\n  loglevel: info\nprograms:\n", [
    `${FILE}:3:1: no programs defined: add at least one under "programs:"`,
  ]],
  ["an empty services", "services: []\n", [
    `${FILE}:1:1: no programs defined: add at least one under "programs:"`,
  ]],
  ["only settings", "taskmaster:\n  loglevel: info\n", [
    `${FILE}:1:1: no programs defined: add at least one under "programs:"`,
  ]],
  ["a list at the top", "- a\n- b\n", [
    `${FILE}:1:1: expected a mapping with "programs:" (and optionally "taskmaster:"), got a list`,
  ]],
  ["an unknown top-level key", "program:\n  web: {cmd: a}\nprograms:\n  web: {cmd: a}\n", [
    `${FILE}:1:1: key "program": unknown key "program"; did you mean "programs"?`,
  ]],
  ["an unknown setting", "taskmaster:\n  log_level: info\nprograms:\n  web: {cmd: a}\n", [
    `${FILE}:2:3: key "taskmaster.log_level": unknown key "log_level"; did you mean "loglevel"?`,
  ]],
  ["a bad loglevel", "taskmaster:\n  loglevel: verbose\nprograms:\n  web: {cmd: a}\n", [
    `${FILE}:2:13: key "taskmaster.loglevel": expected "debug", "info", "warning" or "error", got "verbose"`,
  ]],
  ["a bad logfile_maxbytes", "taskmaster:\n  logfile_maxbytes: big\nprograms:\n  web: {cmd: a}\n", [
    `${FILE}:2:21: key "taskmaster.logfile_maxbytes": expected a byte count >= 0 or a size such as "50MB", "512KB" or "1GB", got "big"`,
  ]],
  ["taskmaster as a string", "taskmaster: yes\nprograms:\n  web: {cmd: a}\n", [
    `${FILE}:1:13: key "taskmaster": expected a mapping of settings, got "yes"`,
  ]],
  ["a YAML syntax error", "programs:\n  web: {cmd: a\n", [
    `${FILE}:3:1: YAML syntax error: flow map in block collection must be sufficiently indented and end with a }`,
  ]],
  ["a tab indentation", "programs:\n\tweb: {cmd: a}\n", [
    `${FILE}:2:1: YAML syntax error: tabs are not allowed as indentation`,
  ]],
];

for (const [what, text, expected] of ERROR_CASES) {
  Deno.test(`validateConfig() reports ${what} with file, line, column, program and key`, () => {
    assert.deepEqual(lines(text), expected);
  });
}

Deno.test("validateConfig() reports every issue of a file at once, in file order", () => {
  const text = [
    "taskmaster:",
    "  loglevel: loud",
    "programs:",
    "  web:",
    "    cmd: python3 -m http.server",
    "    numprocs: two",
    "    stopsignal: NOPE",
    "    umask: 999",
    "    autostart: maybe",
    "  worker:",
    "    comand: sleep 1",
    "services:",
    "  - name: web",
    "    cmd: x",
  ].join("\n");
  const found = issues(text).map((i) => [i.line, i.column, i.program, i.key]);
  assert.deepEqual(found, [
    [2, 13, null, "taskmaster.loglevel"],
    [6, 15, "web", "numprocs"],
    [7, 17, "web", "stopsignal"],
    [8, 12, "web", "umask"],
    [9, 16, "web", "autostart"],
    [10, 3, "worker", "cmd"],
    [11, 5, "worker", "comand"],
    [13, 11, "web", null],
  ]);
});

Deno.test("validateConfig() reports a duplicate top-level key instead of keeping the last", () => {
  assert.deepEqual(lines("programs:\n  a: {cmd: x}\nprograms:\n  b: {cmd: y}\n"), [
    `${FILE}:3:1: key "programs": duplicate key (first set on line 1)`,
  ]);
});

Deno.test("validateConfig() reports a socket path over the unix limit, naming the limit", () => {
  const long = "/tmp/" + "s".repeat(110) + ".sock";
  const [line] = lines(`taskmaster:\n  socket: ${long}\nprograms:\n  web: {cmd: a}\n`);
  assert.match(
    line ?? "",
    /:2:11: key "taskmaster\.socket": socket path ".*" is 120 bytes long, over the 107-byte limit/,
  );
});

Deno.test("validateConfig() reports a too-long default socket path, without a line", () => {
  const deepFile = `/${"d".repeat(100)}/taskmaster.yaml`;
  const r = parseConfigText("programs:\n  web: {cmd: a}\n", deepFile, { isRoot: true, lookupUser });
  assert.equal(r.ok, false);
  assert.deepEqual(r.ok ? [] : r.issues.map(formatConfigIssue), [
    `${deepFile}: key "taskmaster.socket": the default socket path "/${
      "d".repeat(100)
    }/taskmaster.sock" ` +
    `is 117 bytes long, over the 107-byte limit of unix socket paths; set "taskmaster.socket" to a shorter path`,
  ]);
});

Deno.test("validateConfig() accepts a socket path of exactly 107 bytes", () => {
  const socket = "/tmp/" + "s".repeat(97) + ".sock";
  assert.equal(socket.length, 107);
  const r = parseConfigText(
    `taskmaster:\n  socket: ${socket}\nprograms:\n  web: {cmd: a}\n`,
    FILE,
    { isRoot: true, lookupUser },
  );
  assert.equal(r.ok && r.config.settings.socket, socket);
});

Deno.test("a stdout/stderr file whose directory does not exist is an error; discarding is not checked", async () => {
  const { parseConfigText } = await import("../../src/config/load.ts");
  const text = [
    "programs:",
    "  web:",
    "    cmd: /bin/true",
    "    stdout: /nonexistent_dir/out.log",
    "    stderr: /dev/null",
  ].join("\n");
  const r = parseConfigText(text, "/etc/tm.yaml", {
    isRoot: true,
    lookupUser: () => undefined,
    dirExists: (p) => p === "/dev",
  });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.deepEqual(r.issues.map((i) => [i.line, i.program, i.key, i.message]), [
    [4, "web", "stdout", "directory /nonexistent_dir does not exist"],
  ]);
  // logdir, and what is under it, is created by taskmaster: not an error.
  const underLogdir = parseConfigText(
    "taskmaster:\n  logdir: logs\nprograms:\n  web:\n    cmd: /bin/true\n    stdout: logs/web/out.log\n",
    "/etc/tm.yaml",
    { isRoot: true, lookupUser: () => undefined, dirExists: () => false },
  );
  assert.equal(underLogdir.ok, true);
});
