/**
 * main.ts loads each command's module through a variable (so `deno run`
 * does not read the daemon's modules for a `ctl status`), and `deno compile`
 * then finds those modules only when they are given with --include: a module
 * missing from the list would be a binary whose command fails with "Module
 * not found". This machine cannot build the binary (no denort offline), so
 * the lists are checked against each other.
 */
import assert from "node:assert/strict";
import { COMPILE_INCLUDES } from "../../src/compile_includes.ts";

const ROOT = new URL("../../", import.meta.url);

/** The paths main.ts loads: `load<typeof import("./src/x.ts")>("./src/x.ts")`. */
async function loadedByMain(): Promise<string[]> {
  const text = await Deno.readTextFile(new URL("main.ts", ROOT));
  const loads = [
    ...text.matchAll(/\bload<typeof import\("\.\/([^"]+)"\)>\(\s*"\.\/([^"]+)",?\s*\)/g),
  ];
  for (const [call, typed, loaded] of loads) assert.equal(typed, loaded, call);
  return loads.map((m) => m[2]!);
}

Deno.test("every module main.ts loads for a command is in the compile includes, and exists", async () => {
  const loaded = await loadedByMain();
  assert.ok(loaded.includes("src/daemon/daemon.ts"), loaded.join(" "));
  assert.ok(loaded.includes("src/ctl.ts"), loaded.join(" "));
  for (const path of loaded) assert.ok(COMPILE_INCLUDES.includes(path), `${path} not included`);
  for (const path of COMPILE_INCLUDES) {
    assert.ok((await Deno.stat(new URL(path, ROOT))).isFile, path);
  }
  // Every load() call is one the pattern above read (one written without its
  // type would escape it), and there is no import("…") of a string literal:
  // that would make `deno run` read the module's whole graph up front.
  const code = (await Deno.readTextFile(new URL("main.ts", ROOT))).split("\n")
    .filter((line) => !/^\s*(\/\/|\/\*|\*)/.test(line)).join("\n");
  assert.equal([...code.matchAll(/\bload(<[^>]*>)?\(\s*"/g)].length, loaded.length);
  assert.equal([...code.matchAll(/(?<!typeof )\bimport\(\s*"/g)].length, 0);
});

Deno.test("deno.json's build task passes every compile include", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const build: string = config.tasks.build;
  const given = [...build.matchAll(/--include (\S+)/g)].map((m) => m[1]);
  assert.deepEqual(given.sort(), [...COMPILE_INCLUDES].sort());
});

Deno.test("deno.json's taskmaster and build tasks run with exactly the flags of src/permissions.ts", async () => {
  const { RUN_FLAGS } = await import("../../src/permissions.ts");
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  for (const task of ["taskmaster", "build"]) {
    const words = String(config.tasks[task]).split(/\s+/);
    const flags = words.filter((w) => w.startsWith("--allow-") || w.startsWith("--v8-flags="));
    assert.deepEqual(flags.sort(), [...RUN_FLAGS].sort(), `deno.json task ${task}`);
  }
});
