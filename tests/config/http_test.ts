import assert from "node:assert/strict";
import { isLoopback, parseListen, sha256Hex } from "../../src/config/http.ts";
import { parseConfigText } from "../../src/config/load.ts";
import { formatConfigIssue } from "../../src/config/validate.ts";

const env = (vars: Record<string, string> = {}) => ({
  isRoot: false,
  lookupUser: () => undefined,
  getEnv: (name: string) => vars[name],
});

function load(http: string, vars: Record<string, string> = {}) {
  return parseConfigText(
    `taskmaster:\n  http:\n${http}\nprograms:\n  a:\n    cmd: sleep 1\n`,
    "/cfg/t.yaml",
    env(vars),
  );
}

function errors(http: string, vars: Record<string, string> = {}): string[] {
  const r = load(http, vars);
  return r.ok ? [] : r.issues.map(formatConfigIssue);
}

Deno.test("parseListen and isLoopback", () => {
  assert.deepEqual(parseListen("127.0.0.1:9001"), { host: "127.0.0.1", port: 9001 });
  assert.deepEqual(parseListen("[::1]:0"), { host: "::1", port: 0 });
  assert.deepEqual(parseListen("localhost:80"), { host: "localhost", port: 80 });
  assert.equal(parseListen("9001"), undefined);
  assert.equal(parseListen("host:99999"), undefined);
  assert.equal(parseListen("::1:9001"), undefined);
  for (const h of ["127.0.0.1", "127.8.9.10", "::1", "localhost"]) assert.ok(isLoopback(h), h);
  for (const h of ["0.0.0.0", "::", "192.168.1.2", "example.com"]) assert.ok(!isLoopback(h), h);
});

Deno.test("taskmaster.http keeps only the password's SHA-256, from the environment or as written", () => {
  const fromEnv = load('    listen: 0.0.0.0:9001\n    username: admin\n    password: "${PW}"', {
    PW: "s3cret",
  });
  assert.ok(fromEnv.ok);
  assert.deepEqual(fromEnv.config.settings.http, {
    host: "0.0.0.0",
    port: 9001,
    username: "admin",
    passwordSha256: sha256Hex("s3cret"),
    tls: null,
  });
  assert.doesNotMatch(JSON.stringify(fromEnv.config), /s3cret/);
  const hashed = load(
    `    listen: 127.0.0.1:1\n    username: u\n    password_sha256: ${"AB".repeat(32)}`,
  );
  assert.ok(hashed.ok);
  assert.equal(hashed.config.settings.http?.passwordSha256, "ab".repeat(32));
  const tls = load("    listen: 127.0.0.1:1\n    tls: {cert: c.pem, key: k.pem}");
  assert.ok(tls.ok);
  assert.deepEqual(tls.config.settings.http?.tls, { cert: "/cfg/c.pem", key: "/cfg/k.pem" });
});

Deno.test("taskmaster.http errors name the key and never quote a password", () => {
  assert.deepEqual(errors("    listen: 0.0.0.0:9001"), [
    '/cfg/t.yaml:3:13: key "taskmaster.http.listen": 0.0.0.0 is not a loopback address: listening there needs "username" and "password" (or "password_sha256")',
  ]);
  const literal = errors('    listen: 127.0.0.1:1\n    username: u\n    password: "hunter2"');
  assert.equal(literal.length, 1);
  assert.match(literal[0]!, /key "taskmaster\.http\.password": must name an environment variable/);
  assert.doesNotMatch(literal[0]!, /hunter2/);
  assert.match(
    errors('    listen: 127.0.0.1:1\n    username: u\n    password: "${EMPTY}"', { EMPTY: "" })[0]!,
    /environment variable EMPTY is empty/,
  );
  assert.match(
    errors("    listen: 127.0.0.1:1\n    username: u")[0]!,
    /a username needs "password"/,
  );
  assert.match(
    errors(`    listen: 127.0.0.1:1\n    password_sha256: ${"0".repeat(64)}`)[0]!,
    /key "taskmaster\.http\.username": a password needs a "username"/,
  );
  assert.match(
    errors("    listen: 127.0.0.1:1\n    username: u\n    password_sha256: xyz")[0]!,
    /expected 64 hex digits/,
  );
  assert.match(
    errors(
      `    listen: 127.0.0.1:1\n    username: u\n    password: "\${P}"\n    password_sha256: ${
        "0".repeat(64)
      }`,
      { P: "x" },
    )[0]!,
    /set either "password" or "password_sha256", not both/,
  );
  const unknown = errors("    port: 1");
  assert.ok(
    unknown.some((e) => /key "taskmaster\.http\.port": unknown key "port"/.test(e)),
    unknown.join("\n"),
  );
  assert.ok(unknown.some((e) => /missing required key "listen"/.test(e)), unknown.join("\n"));
  assert.match(errors("    listen: 127.0.0.1:1\n    tls: {cert: c.pem}")[0]!, /tls\.key": missing/);
});
