import assert from "node:assert/strict";
import { diffConfigs, spawnAffectingChanged, spawnAffectingFields } from "../../src/config/diff.ts";
import type { ProgramConfig, TaskmasterConfig } from "../../src/config/types.ts";
import { valid, webProgram } from "./_helpers.ts";

const base = webProgram();

function config(programs: ProgramConfig[], logdir = "/cfg/logs"): TaskmasterConfig {
  const c = valid("programs:\n  x: {cmd: a}\n");
  return {
    ...c,
    settings: { ...c.settings, logdir },
    programs: new Map(programs.map((p) => [p.name, p])),
  };
}

function kindOf(prev: ProgramConfig, next: ProgramConfig): string {
  const [change] = diffConfigs(config([prev]), config([next]));
  return change?.kind ?? "none";
}

// Each spawn-affecting change, written as YAML option lines for "web" (parsed for real).
const SPAWN_CASES: [string, string[]][] = [
  ["cmd", ["cmd: sleep 2"]],
  ["argv from a list", ["cmd: [sleep, '1', extra]"]],
  ["env added", ["env: {A: 1}"]],
  ["env value", ["env: {A: 2}"]],
  ["workingdir", ["workingdir: /tmp"]],
  ["umask", ["umask: 077"]],
  ["user", ["user: nobody"]],
  ["stdout target", ["stdout: /tmp/web.out"]],
  ["stdout discard", ["stdout: null"]],
  ["stdout maxBytes", ["stdout_maxbytes: 1MB"]],
  ["stdout backups", ["stdout_backups: 2"]],
  ["stderr target", ["stderr: /tmp/web.err"]],
  ["stderr maxBytes", ["stderr_maxbytes: 0"]],
  ["stderr backups", ["stderr_backups: 0"]],
  ["timestamps", ["timestamps: true"]],
  ["flush_partial_after", ["flush_partial_after: 0"]],
];

for (const [what, extra] of SPAWN_CASES) {
  Deno.test(`diffConfigs() marks a ${what} change as "changed" (restart)`, () => {
    const next = extra[0]?.startsWith("cmd:")
      ? valid(`programs:\n  web:\n    ${extra[0]}\n`).programs.get("web") as ProgramConfig
      : webProgram(...extra);
    assert.equal(kindOf(base, next), "changed");
    assert.equal(spawnAffectingChanged(base, next), true);
    assert.equal(kindOf(next, base), "changed");
  });
}

const MONITOR_CASES: [string, string][] = [
  ["numprocs", "numprocs: 3"],
  ["priority", "priority: 1"],
  ["autostart", "autostart: false"],
  ["autorestart", "autorestart: always"],
  ["exitcodes", "exitcodes: [0, 2]"],
  ["startretries", "startretries: 9"],
  ["starttime", "starttime: 5"],
  ["stopsignal", "stopsignal: INT"],
  ["stoptime", "stoptime: 1"],
];

for (const [what, line] of MONITOR_CASES) {
  Deno.test(`diffConfigs() marks a ${what} change as "updated" (no restart)`, () => {
    const next = webProgram(line);
    assert.equal(kindOf(base, next), "updated");
    assert.equal(spawnAffectingChanged(base, next), false);
  });
}

Deno.test('diffConfigs() prefers "changed" when spawn and monitoring options both change', () => {
  assert.equal(kindOf(base, webProgram("numprocs: 4", "env: {A: b}")), "changed");
});

Deno.test("diffConfigs() sees an identical reparse as unchanged", () => {
  const a = webProgram("env: {A: 1, B: 2}", "stdout: /tmp/o", "user: nobody", "exitcodes: [0, 1]");
  const b = webProgram("env: {B: 2, A: 1}", "stdout: /tmp/o", "user: nobody", "exitcodes: [0, 1]");
  assert.notEqual(a, b);
  assert.equal(kindOf(a, b), "unchanged");
});

Deno.test("diffConfigs() ignores whitespace-only cmd edits that split to the same argv", () => {
  const a = valid("programs:\n  web:\n    cmd: sleep   1\n").programs.get("web") as ProgramConfig;
  assert.equal(kindOf(base, a), "unchanged");
});

Deno.test("diffConfigs() reports added, removed and kept programs sorted by name", () => {
  const keep = { ...base, name: "keep" };
  const gone = { ...base, name: "gone" };
  const fresh = { ...base, name: "fresh" };
  const tuned = { ...base, name: "aaa" };
  const changes = diffConfigs(
    config([keep, gone, tuned]),
    config([{ ...tuned, stoptime: 3 }, fresh, keep]),
  );
  assert.deepEqual(changes.map((c) => [c.kind, "next" in c ? c.next.name : c.prev.name]), [
    ["updated", "aaa"],
    ["added", "fresh"],
    ["removed", "gone"],
    ["unchanged", "keep"],
  ]);
  const added = changes[1];
  assert.equal(added?.kind === "added" && added.next, fresh);
  const removed = changes[2];
  assert.equal(removed?.kind === "removed" && removed.prev, gone);
});

Deno.test("diffConfigs() restarts programs with auto output when logdir moves, only those", () => {
  const filed = webProgram("stdout: /tmp/o", "stderr: /tmp/e");
  const auto = { ...base, name: "auto" };
  const changes = diffConfigs(config([auto, filed]), config([auto, filed], "/elsewhere"));
  assert.deepEqual(changes.map((c) => [c.kind, "next" in c ? c.next.name : ""]), [
    ["changed", "auto"],
    ["unchanged", "web"],
  ]);
});

Deno.test("spawnAffectingFields() names exactly the fields that differ", () => {
  assert.deepEqual(
    spawnAffectingFields(base, webProgram("env: {A: 1}", "umask: 022", "numprocs: 2")),
    ["env", "umask"],
  );
});

Deno.test("a stream that gains or loses its pipe is spawn-affecting; one that keeps it is not", () => {
  const quiet = webProgram("stdout: /dev/null", "stderr: /dev/null");
  const both = (...lines: string[]) =>
    webProgram("stdout: /dev/null", "stderr: /dev/null", ...lines);
  // Events on a /dev/null stream need a pipe the running child does not have.
  assert.deepEqual(spawnAffectingFields(quiet, both("stdout_events_enabled: true")), ["stdout"]);
  assert.deepEqual(spawnAffectingFields(quiet, both("stderr_events_enabled: true")), ["stderr"]);
  // A log_line probe reads both streams.
  assert.deepEqual(
    spawnAffectingFields(quiet, both('readiness: {log_line: "up"}')),
    ["stdout", "stderr"],
  );
  // /dev/null and null both discard, but only null is piped.
  assert.deepEqual(spawnAffectingFields(quiet, webProgram("stdout: null", "stderr: /dev/null")), [
    "stdout",
  ]);
  // A stream with a pipe either way: applied live, as before.
  assert.equal(kindOf(base, webProgram("stdout_events_enabled: true")), "updated");
  assert.equal(kindOf(base, webProgram('liveness: {log_line: "up"}')), "updated");
  assert.equal(
    kindOf(webProgram("stdout: null"), webProgram("stdout: null", "stdout_events_enabled: true")),
    "updated",
  );
});
