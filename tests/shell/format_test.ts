import assert from "node:assert/strict";
import {
  describeProcess,
  formatActionResult,
  formatReloadReport,
  formatStatusTable,
} from "../../src/shell/format.ts";
import { describeRunning, formatUptime } from "../../src/util/time_format.ts";
import { proc } from "../_helpers/fake_port.ts";

Deno.test("describeRunning() says pid and uptime as supervisorctl does", () => {
  assert.equal(describeRunning(42, 62), "pid 42, uptime 0:01:02");
  assert.equal(describeRunning(7, 90061), "pid 7, uptime 1 day, 1:01:01");
});

Deno.test("formatUptime() prints H:MM:SS like Python's timedelta", () => {
  const cases: Array<[number, string]> = [
    [0, "0:00:00"],
    [3, "0:00:03"],
    [62, "0:01:02"],
    [3599.9, "0:59:59"],
    [3600, "1:00:00"],
    [43_200, "12:00:00"],
    [86_399, "23:59:59"],
    [86_400, "1 day, 0:00:00"],
    [93_784, "1 day, 2:03:04"],
    [2 * 86_400 + 1, "2 days, 0:00:01"],
    [-5, "0:00:00"],
    [Number.NaN, "0:00:00"],
  ];
  for (const [seconds, text] of cases) assert.equal(formatUptime(seconds), text, `${seconds}`);
});

Deno.test("formatStatusTable() uses supervisorctl's columns: 33 + 10", () => {
  const table = formatStatusTable([
    proc("badcmd", "FATAL", { description: "can't find command '/nonexistent/bin'" }),
    proc("crasher", "BACKOFF", {
      description: "Exited too quickly (process log may have details)",
    }),
    proc("exit0", "EXITED", { description: "Nov 26 06:14 AM" }),
    proc("exit2", "STARTING", { description: "" }),
    proc("manual", "STOPPED", { description: "Not started" }),
    proc("sleeper:0", "RUNNING", { pid: 5965, uptime: 3 }),
    proc("stubborn", "STOPPING", { description: "" }),
  ]);
  assert.equal(
    table,
    [
      "badcmd                           FATAL     can't find command '/nonexistent/bin'",
      "crasher                          BACKOFF   Exited too quickly (process log may have details)",
      "exit0                            EXITED    Nov 26 06:14 AM",
      "exit2                            STARTING  ",
      "manual                           STOPPED   Not started",
      "sleeper:0                        RUNNING   pid 5965, uptime 0:00:03",
      "stubborn                         STOPPING  ",
      "",
    ].join("\n"),
  );
});

Deno.test("formatStatusTable() widens the name column for a long name", () => {
  const long = "a-very-long-program-name-for-the-table:12"; // 41 characters
  const table = formatStatusTable([proc(long, "STOPPED"), proc("web", "EXITED")]);
  const [first, second] = table.split("\n");
  assert.equal(first, `${long}   STOPPED   Not started`);
  assert.equal(second, `${"web".padEnd(44)}EXITED    Not started`);
});

Deno.test("formatStatusTable() of nothing is empty", () => {
  assert.equal(formatStatusTable([]), "");
});

Deno.test("describeProcess() recomputes a RUNNING uptime, keeps other states' words", () => {
  const running = proc("web", "RUNNING", {
    pid: 42,
    uptime: 93_784,
    description: "pid 42, uptime 0:00:00 (stale)",
  });
  assert.equal(describeProcess(running), "pid 42, uptime 1 day, 2:03:04");
  const exited = proc("job", "EXITED", { description: "exit status 1 (not expected)" });
  assert.equal(describeProcess(exited), "exit status 1 (not expected)");
  // Without a pid the supervisor's text is all we have.
  const odd = proc("odd", "RUNNING", { pid: null, uptime: null, description: "pid ?, uptime ?" });
  assert.equal(describeProcess(odd), "pid ?, uptime ?");
});

Deno.test("formatActionResult() maps error codes to supervisorctl's words", () => {
  const fail = (code: Parameters<typeof formatActionResult>[0]["error"] & object) =>
    formatActionResult({ name: "x", ok: false, error: code }, "started");
  assert.equal(formatActionResult({ name: "web:0", ok: true }, "started"), "web:0: started");
  assert.equal(fail({ code: "ALREADY_STARTED", message: "" }), "x: ERROR (already started)");
  assert.equal(fail({ code: "NOT_RUNNING", message: "" }), "x: ERROR (not running)");
  assert.equal(fail({ code: "SPAWN_ERROR", message: "" }), "x: ERROR (spawn error)");
  assert.equal(
    fail({ code: "ABNORMAL_TERMINATION", message: "" }),
    "x: ERROR (abnormal termination)",
  );
  assert.equal(fail({ code: "BAD_NAME", message: "" }), "x: ERROR (no such process)");
  assert.equal(fail({ code: "BAD_SIGNAL", message: "" }), "x: ERROR (bad signal name)");
  assert.equal(fail({ code: "INTERNAL", message: "disk full\nmore" }), "x: ERROR (disk full)");
});

Deno.test("formatReloadReport() prints one line per program, or that nothing changed", () => {
  assert.equal(
    formatReloadReport({
      added: ["new"],
      changed: ["web"],
      updated: ["api"],
      removed: ["old"],
      unchanged: ["same"],
    }),
    "old: removed\nweb: changed (restarted)\napi: updated (no restart)\nnew: added\n",
  );
  assert.equal(
    formatReloadReport({ added: [], changed: [], updated: [], removed: [], unchanged: ["a"] }),
    "No config updates to processes\n",
  );
});
