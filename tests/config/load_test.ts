import assert from "node:assert/strict";
import { join } from "node:path";
import { decodeUtf8, loadConfig } from "../../src/config/load.ts";
import { formatConfigIssue } from "../../src/config/validate.ts";
import { lookupUser } from "./_helpers.ts";

const CONFIGS = join(import.meta.dirname ?? ".", "../../configs");

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tm-config-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadConfig() reports a missing file as one issue naming it, without throwing", async () => {
  await withTempDir(async (dir) => {
    const r = await loadConfig(join(dir, "nope.yaml"));
    assert.equal(r.ok, false);
    assert.deepEqual(r.ok ? [] : r.issues.map(formatConfigIssue), [
      `${dir}/nope.yaml: cannot read the config file: no such file`,
    ]);
  });
});

Deno.test("loadConfig() reports a directory given as the config file", async () => {
  await withTempDir(async (dir) => {
    const r = await loadConfig(dir);
    assert.deepEqual(r.ok ? [] : r.issues.map(formatConfigIssue), [
      `${dir}: cannot read the config file: it is a directory`,
    ]);
  });
});

Deno.test("loadConfig() resolves relative paths against the config file's directory", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "etc", "out"), { recursive: true });
    const text = [
      "taskmaster:",
      "  logfile: tm.log",
      "  logdir: ../logs",
      "programs:",
      "  web:",
      "    cmd: sleep 1",
      "    stdout: out/web.log",
      "    workingdir: run",
    ].join("\n");
    await Deno.writeTextFile(join(dir, "etc", "tm.yaml"), text);
    // A relative config path is made absolute against the current directory.
    const rel = join(dir, "etc", "..", "etc", "tm.yaml");
    const r = await loadConfig(rel, { isRoot: false });
    if (!r.ok) assert.fail(r.issues.map(formatConfigIssue).join("\n"));
    assert.equal(r.config.file, join(dir, "etc", "tm.yaml"));
    assert.equal(r.config.settings.logfile, join(dir, "etc", "tm.log"));
    assert.equal(r.config.settings.logdir, join(dir, "logs"));
    assert.equal(r.config.settings.pidfile, join(dir, "etc", "taskmaster.pid"));
    const web = r.config.programs.get("web");
    assert.deepEqual(web?.stdout.target, {
      kind: "file",
      path: join(dir, "etc", "out", "web.log"),
    });
    assert.equal(web?.workingdir, join(dir, "etc", "run"));
  });
});

Deno.test("loadConfig() resolves user 'nobody' from the real /etc/passwd when root", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "tm.yaml");
    await Deno.writeTextFile(file, "programs:\n  web:\n    cmd: sleep 1\n    user: nobody\n");
    const r = await loadConfig(file, { isRoot: true });
    assert.equal(r.ok && r.config.programs.get("web")?.user?.name, "nobody");
    assert.equal(r.ok && r.config.programs.get("web")?.user?.uid, 65534);
    // The default isRoot follows the real uid (these tests run as root).
    const asIs = await loadConfig(file);
    assert.equal(asIs.ok, Deno.uid() === 0);
  });
});

Deno.test("loadConfig() refuses a user when told it is not root", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "tm.yaml");
    await Deno.writeTextFile(file, "programs:\n  web:\n    cmd: sleep 1\n    user: nobody\n");
    const r = await loadConfig(file, { isRoot: false });
    assert.deepEqual(r.ok ? [] : r.issues.map(formatConfigIssue), [
      `${file}:4:11: program "web": key "user": running as user "nobody" requires taskmaster to run as root`,
    ]);
  });
});

Deno.test("loadConfig() reports every problem of configs/invalid_example.yaml", async () => {
  const file = join(CONFIGS, "invalid_example.yaml");
  const r = await loadConfig(file, { isRoot: true, lookupUser });
  assert.deepEqual(r.ok ? [] : r.issues.map(formatConfigIssue), [
    `${file}:4:13: key "taskmaster.loglevel": expected "debug", "info", "warning" or "error", got "loud"`,
    `${file}:8:15: program "web": key "numprocs": expected an integer >= 1, got "two"`,
    `${file}:9:17: program "web": key "stopsignal": unknown signal "TREM" (expected one of TERM, HUP, INT, QUIT, KILL, USR1, USR2, CONT, STOP, TSTP, WINCH, ALRM, PIPE); did you mean "TERM"?`,
    `${file}:10:12: program "web": key "umask": invalid umask 089: octal digits are 0-7`,
    `${file}:11:3: program "worker": key "cmd": missing required key "cmd"`,
    `${file}:12:5: program "worker": key "comand": unknown key "comand"; did you mean "cmd"?`,
    `${file}:13:3: invalid program name "bad:name": use only letters, digits, "_", "." and "-" (":" separates instance numbers)`,
    `${file}:17:14: program "bad:name": key "env": environment variable "EMPTY": expected a string, number or boolean, got null (write "" for an empty value)`,
  ]);
});

Deno.test("loadConfig() reads configs/services_form.yaml with programs and services merged", async () => {
  const r = await loadConfig(join(CONFIGS, "services_form.yaml"), { isRoot: false, lookupUser });
  if (!r.ok) assert.fail(r.issues.map(formatConfigIssue).join("\n"));
  assert.deepEqual([...r.config.programs.keys()], ["web", "worker", "reporter"]);
  const reporter = r.config.programs.get("reporter");
  assert.deepEqual([reporter?.exitcodes, reporter?.stopsignal], [[0], "SIGTERM"]);
  assert.deepEqual(reporter?.stdout.target, { kind: "file", path: join(CONFIGS, "reporter.out") });
  assert.equal(r.config.programs.get("worker")?.autorestart, "always");
});

Deno.test("loadConfig() reads configs/anchors.yaml with merged defaults", async () => {
  const r = await loadConfig(join(CONFIGS, "anchors.yaml"), { isRoot: false, lookupUser });
  if (!r.ok) assert.fail(r.issues.map(formatConfigIssue).join("\n"));
  const f = r.config.programs.get("fetcher");
  const i = r.config.programs.get("indexer");
  assert.deepEqual([f?.numprocs, f?.umask, f?.stdout.target.kind], [2, 0o027, "discard"]);
  assert.deepEqual([i?.numprocs, i?.umask, i?.stoptime], [1, 0o027, 2]);
});

Deno.test("loadConfig() refuses invalid UTF-8 with its line and column instead of U+FFFD", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "latin1.yaml");
    const head = new TextEncoder().encode("programs:\n  web:\n    cmd: echo caf");
    // "é" in Latin-1 (0xE9) followed by ASCII: not a UTF-8 sequence.
    await Deno.writeFile(file, new Uint8Array([...head, 0xe9, 0x0a]));
    const r = await loadConfig(file, { isRoot: true, lookupUser });
    assert.deepEqual(r.ok ? [] : r.issues.map(formatConfigIssue), [
      `${file}:3:18: the config file is not valid UTF-8: invalid byte 0xe9 at offset 34`,
    ]);
  });
});

Deno.test("decodeUtf8() counts columns in characters and finds a truncated sequence", () => {
  const bytes = new TextEncoder().encode("a: é\nb: ü");
  const bad = new Uint8Array([...bytes.subarray(0, bytes.length - 1), 0x41]);
  assert.deepEqual(decodeUtf8(bad), { line: 2, column: 4, offset: 9, byte: 0xc3 });
  assert.equal(decodeUtf8(bytes), "a: é\nb: ü");
});
