import assert from "node:assert/strict";
import { MAX_ALIAS_NODES, parseYaml } from "../../src/config/parse.ts";
import { parse } from "./_helpers.ts";

Deno.test("parseYaml() gives 1-based positions of keys and values", () => {
  const { root } = parseYaml("programs:\n  web:\n    umask: 022\n");
  const web = root?.kind === "map" ? root.entries[0]?.value : undefined;
  const entry = web?.kind === "map" ? web.entries[0] : undefined;
  const umask = entry?.value.kind === "map" ? entry.value.entries[0] : undefined;
  assert.deepEqual(umask?.keyPos, { line: 3, column: 5 });
  assert.deepEqual(umask?.value.pos, { line: 3, column: 12 });
  assert.equal(umask?.value.kind === "scalar" && umask.value.source, "022");
  assert.equal(umask?.value.kind === "scalar" && umask.value.value, 22);
});

Deno.test("parseYaml() keeps both copies of a duplicate key for the validator", () => {
  const { root, errors } = parseYaml("a: 1\na: 2\n");
  assert.deepEqual(errors, []);
  assert.deepEqual(root?.kind === "map" ? root.entries.map((e) => e.keyPos.line) : [], [1, 2]);
});

Deno.test("parseYaml() returns syntax errors with positions instead of throwing", () => {
  const { root, errors } = parseYaml("a: [1, 2\nb: 'x\n");
  assert.equal(root, null);
  assert.ok(errors.length >= 1);
  assert.ok(errors.every((e) => e.pos !== null && e.pos.line >= 1 && !e.message.includes("\n")));
});

Deno.test("parseYaml() reports a second document as an error", () => {
  const { errors } = parseYaml("programs: {}\n---\nprograms: {}\n");
  assert.equal(errors.length, 1);
  assert.match(errors[0]?.message ?? "", /multiple documents/i);
});

Deno.test("parseYaml() reads a scalar alias at the place it is used", () => {
  const { root } = parseYaml("a: &v hello\nb: *v\n");
  const b = root?.kind === "map" ? root.entries[1]?.value : undefined;
  assert.deepEqual(b?.kind === "scalar" ? [b.value, b.pos.line] : [], ["hello", 2]);
});

Deno.test("parseYaml() does not loop on a self-referencing alias", () => {
  const r = parse("x-a: &a [*a]\nprograms:\n  web: {cmd: a}\n");
  assert.equal(r.ok, true);
});

// Whatever the bytes, loading gives issues, never an exception.
const GARBAGE = [
  "\u0000\u0001\u0002",
  "programs: !!binary aGVsbG8=\n",
  "programs:\n  web: !custom {cmd: a}\n",
  "? [complex, key]\n: value\n",
  "programs:\n  ? [a, b]\n  : {cmd: x}\n",
  "programs:\n  web:\n    cmd: *undefined_anchor\n",
  "{{{{",
  "programs: [" + "[".repeat(500),
  ":",
  "programs:\n  web:\n    cmd: a\n    env: {A: {B: c}}\n",
  "programs:\n  web:\n    cmd: a\n    numprocs: 123456789012345678901234567890\n",
  "programs:\n  web:\n    cmd: a\n    exitcodes: [[0]]\n",
];

for (const text of GARBAGE) {
  Deno.test(`parseConfigText() turns ${JSON.stringify(text.slice(0, 30))} into issues, not a throw`, () => {
    const r = parse(text);
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.issues.length > 0 && r.issues.every((i) => i.message.length > 0));
  });
}

Deno.test("parseConfigText() reports an unknown YAML tag at its position", () => {
  const r = parse("programs:\n  web: !custom {cmd: a}\n");
  assert.deepEqual(r.ok ? [] : r.issues.map((i) => [i.line, i.column, i.message]), [
    [2, 8, "YAML syntax error: unresolved tag: !custom"],
  ]);
});

Deno.test("parseYaml() stops an alias bomb at the alias that expands too far, quickly", () => {
  // 10 levels of 10 aliases: 10^10 nodes if expanded, in 600 bytes.
  const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i <= 9; i++) {
    lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]`);
  }
  const r = parse(lines.join("\n") + "\n");
  assert.ok(!r.ok);
  assert.equal(r.issues.length, 1);
  assert.equal(
    r.issues[0]?.message,
    `YAML syntax error: aliases expand to more than ${MAX_ALIAS_NODES} nodes (an alias bomb?)`,
  );
  assert.ok(r.issues[0]?.line !== null && r.issues[0]?.column !== null);
});

Deno.test("parseYaml() keeps merge keys that expand to many nodes", () => {
  const programs = Array.from({ length: 500 }, (_, i) => `  p${i}: {<<: *d, cmd: "sleep 1"}`);
  const r = parse(
    `x-defaults: &d {autostart: false, starttime: 0, stoptime: 1}\nprograms:\n${
      programs.join("\n")
    }\n`,
  );
  assert.ok(r.ok);
  assert.equal(r.config.programs.size, 500);
});

Deno.test("parseYaml() refuses 10^5 levels of nesting at once, with a position", () => {
  const { root, errors } = parseYaml("a: " + "[".repeat(100_000) + "]".repeat(100_000) + "\n");
  assert.equal(root, null);
  assert.ok(errors.length >= 1 && errors.every((e) => e.pos !== null));
});
