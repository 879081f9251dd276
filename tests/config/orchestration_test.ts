import assert from "node:assert/strict";
import { diffConfigs } from "../../src/config/diff.ts";
import { lines, valid, webProgram } from "./_helpers.ts";

const STACK = `programs:
  db:
    cmd: sleep 100
    readiness:
      exec: pg_isready -q
      initial_delay: 0.5
      period: 2
      timeout: 1
      success_threshold: 2
      failure_threshold: 3
    liveness:
      http: {url: "http://127.0.0.1:8080/live", status: 204}
    max_memory: 512MB
  migrate:
    cmd: ./migrate.sh
    autorestart: never
    depends_on: {db: healthy}
  api:
    cmd: ./api
    depends_on:
      db: healthy
      migrate: completed_successfully
  worker:
    cmd: ./worker
    depends_on: [api, db]
taskmaster:
  shutdown_order: parallel
`;

Deno.test("the issue's example config loads with every orchestration key", () => {
  const config = valid(STACK);
  const db = config.programs.get("db")!;
  assert.deepEqual(db.readiness, {
    check: { kind: "exec", argv: ["pg_isready", "-q"] },
    initialDelay: 0.5,
    period: 2,
    timeout: 1,
    successThreshold: 2,
    failureThreshold: 3,
  });
  assert.deepEqual(db.liveness?.check, {
    kind: "http",
    url: "http://127.0.0.1:8080/live",
    status: 204,
  });
  assert.equal(db.maxMemory, 512 * 1024 * 1024);
  assert.deepEqual(config.programs.get("api")!.dependsOn, [
    { program: "db", condition: "healthy" },
    { program: "migrate", condition: "completed_successfully" },
  ]);
  // The short form: a list of names, each with condition `running`.
  assert.deepEqual(config.programs.get("worker")!.dependsOn, [
    { program: "api", condition: "running" },
    { program: "db", condition: "running" },
  ]);
  assert.equal(config.settings.shutdownOrder, "parallel");
});

Deno.test("probe defaults, tcp and log_line checks, and no orchestration by default", () => {
  const plain = webProgram();
  assert.deepEqual(
    [plain.dependsOn, plain.readiness, plain.liveness, plain.maxMemory],
    [[], null, null, null],
  );
  assert.equal(valid("programs:\n  web:\n    cmd: x\n").settings.shutdownOrder, "dependencies");
  const tcp = webProgram('readiness: {tcp: "127.0.0.1:5432"}').readiness!;
  assert.deepEqual(tcp, {
    check: { kind: "tcp", host: "127.0.0.1", port: 5432 },
    initialDelay: 0,
    period: 2,
    timeout: 1,
    successThreshold: 1,
    failureThreshold: 3,
  });
  assert.deepEqual(webProgram('liveness: {log_line: "ready to accept"}').liveness!.check, {
    kind: "log_line",
    pattern: "ready to accept",
  });
});

Deno.test("unknown names, self-dependencies and a bad condition are errors at their line", () => {
  const text = `programs:
  api:
    cmd: x
    depends_on:
      dbb: running
      api: running
      db: runing
  db:
    cmd: y
`;
  assert.deepEqual(lines(text), [
    `/cfg/taskmaster.yaml:5:7: program "api": key "depends_on": unknown program "dbb"; did you mean "db"?`,
    `/cfg/taskmaster.yaml:6:7: program "api": key "depends_on": a program cannot depend on itself`,
    `/cfg/taskmaster.yaml:7:11: program "api": key "depends_on": "db": expected a condition (running, healthy, completed, completed_successfully), got "runing"; did you mean "running"?`,
  ]);
});

Deno.test("a cycle is named whole, from each program in it", () => {
  const text = `programs:
  db:
    cmd: x
  api:
    cmd: x
    depends_on: [db, migrate]
  migrate:
    cmd: x
    depends_on: [api]
`;
  assert.deepEqual(lines(text), [
    `/cfg/taskmaster.yaml:6:22: program "api": key "depends_on": dependency cycle: api -> migrate -> api`,
    `/cfg/taskmaster.yaml:9:18: program "migrate": key "depends_on": dependency cycle: migrate -> api -> migrate`,
  ]);
});

Deno.test("healthy on a program without readiness is an error", () => {
  const text = "programs:\n  db:\n    cmd: x\n  api:\n    cmd: y\n    depends_on: {db: healthy}\n";
  assert.deepEqual(lines(text), [
    `/cfg/taskmaster.yaml:6:18: program "api": key "depends_on": "db" has no readiness probe, so it can never be healthy (give it a "readiness:" or use "running")`,
  ]);
});

Deno.test("bad probes: no check, two checks, bad values, unknown keys, all at once", () => {
  const out = lines(
    [
      "programs:",
      "  a:",
      "    cmd: x",
      "    readiness: {period: 1}",
      "    liveness: {exec: 'true', tcp: 'h:1'}",
      "  b:",
      "    cmd: x",
      "    readiness: {tcp: 'localhost', perod: 2, failure_threshold: 0}",
      "    liveness: {log_line: '(', timeout: 0}",
      "    max_memory: lots",
      "",
    ].join("\n"),
  );
  assert.equal(out.length, 8, out.join("\n"));
  assert.match(out[0]!, /"a": key "readiness": expected one check: exec, http, tcp or log_line/);
  assert.match(out[1]!, /"a": key "liveness": only one check per probe, got exec and tcp/);
  assert.match(out.join("\n"), /key "readiness.tcp": expected "host:port"/);
  assert.match(out.join("\n"), /key "readiness.perod": unknown key "perod"; did you mean "period"/);
  assert.match(out.join("\n"), /key "readiness.failure_threshold": expected an integer >= 1/);
  assert.match(out.join("\n"), /key "liveness.log_line": invalid regular expression/);
  assert.match(out.join("\n"), /key "max_memory": expected a byte count/);
});

Deno.test("reload diff: depends_on, probes and max_memory apply live (updated, no restart)", () => {
  const before = valid(STACK);
  const after = valid(
    STACK.replace("max_memory: 512MB", "max_memory: 1GB")
      .replace("depends_on: [api, db]", "depends_on: [db]")
      .replace("failure_threshold: 3", "failure_threshold: 5"),
  );
  const kinds = Object.fromEntries(
    diffConfigs(before, after).map((c) => [
      c.kind === "removed" ? c.prev.name : c.next.name,
      c.kind,
    ]),
  );
  assert.deepEqual(kinds, {
    api: "unchanged",
    db: "updated",
    migrate: "unchanged",
    worker: "updated",
  });
});
