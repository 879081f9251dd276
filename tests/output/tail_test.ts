import assert from "node:assert/strict";
import { readLastLines } from "../../src/output/tail.ts";
import { tempDir } from "./_helpers.ts";

Deno.test("readLastLines() returns the last lines of a big file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/big.log`;
  const lines = Array.from({ length: 200_000 }, (_, i) => `line ${i} ${"x".repeat(i % 50)}`);
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  assert.equal(await readLastLines(path, 3), lines.slice(-3).join("\n") + "\n");
  // More than one 64 KiB block back.
  assert.equal(await readLastLines(path, 5_000), lines.slice(-5_000).join("\n") + "\n");
});

Deno.test("readLastLines() handles edge cases", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/f.log`;
  assert.equal(await readLastLines(`${dir.path}/missing.log`, 10), "");
  await Deno.writeTextFile(path, "");
  assert.equal(await readLastLines(path, 10), "");
  await Deno.writeTextFile(path, "a\nb\nc");
  assert.equal(await readLastLines(path, 1), "c");
  assert.equal(await readLastLines(path, 2), "b\nc");
  assert.equal(await readLastLines(path, 10), "a\nb\nc");
  assert.equal(await readLastLines(path, 0), "");
  await Deno.writeTextFile(path, "a\n\n\nb\n");
  assert.equal(await readLastLines(path, 2), "\nb\n");
  assert.equal(await readLastLines(path, 4), "a\n\n\nb\n");
  await Deno.writeTextFile(path, "\n");
  assert.equal(await readLastLines(path, 1), "\n");
});

Deno.test("readLastLines() reads at most maxBytes of one huge line", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/huge.log`;
  await Deno.writeTextFile(path, "é".repeat(300_000) + "\nlast\n");
  const text = await readLastLines(path, 2, { maxBytes: 1001 });
  assert.ok(text.endsWith("\nlast\n"));
  assert.ok(!text.includes("\uFFFD"), "a cut UTF-8 character is skipped");
  assert.ok(text.length < 600);
});
