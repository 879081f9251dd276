/**
 * The module graph of src/ and main.ts has no cycle (issue 8: "no import
 * cycle"). Static, dynamic and type-only imports all count: a cycle of types
 * is still two modules that cannot be read one without the other.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { findCycles } from "../../src/config/dependency_graph.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const IMPORT = /(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+\.ts)"/g;

async function modules(dir: string, out: string[] = []): Promise<string[]> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) await modules(path, out);
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

Deno.test("src/ and main.ts import no module that imports them back", async () => {
  const files = [...await modules(join(ROOT, "src")), join(ROOT, "main.ts")];
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = await Deno.readTextFile(file);
    graph.set(
      relative(ROOT, file),
      [...text.matchAll(IMPORT)].map((m) => relative(ROOT, normalize(join(dirname(file), m[1]!)))),
    );
  }
  assert.ok(graph.size > 100, "the scan found the modules");
  // The same cycle finder that names dependency cycles in a config.
  assert.deepEqual(findCycles(graph), []);
});
