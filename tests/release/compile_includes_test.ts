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

Deno.test("every module main.ts loads for a command is in the compile includes, and exists", async () => {
  const loaded = (await loadModuleCalls("main.ts")).map((c) => includePath(c));
  assert.ok(loaded.includes("src/daemon/daemon.ts"), loaded.join(" "));
  assert.ok(loaded.includes("src/ctl.ts"), loaded.join(" "));
  for (const path of loaded) assert.ok(COMPILE_INCLUDES.includes(path), `${path} not included`);
  for (const path of COMPILE_INCLUDES) {
    assert.ok((await Deno.stat(new URL(path, ROOT))).isFile, path);
  }
  // No import("…") of a string literal: that would make `deno run` read the
  // module's whole graph up front.
  const code = withoutComments(await Deno.readTextFile(new URL("main.ts", ROOT)));
  assert.equal([...code.matchAll(/(?<!typeof )\bimport\(\s*"/g)].length, 0);
});

interface LoadModuleCall {
  readonly file: string;
  readonly typed: string;
  readonly loaded: string;
}

function withoutComments(text: string): string {
  return text.split("\n").filter((line) => !/^\s*(\/\/|\/\*|\*)/.test(line)).join("\n");
}

/** Every `loadModule<typeof import("X")>(…"X"…)` call in `file` (relative to the root). */
async function loadModuleCalls(file: string): Promise<LoadModuleCall[]> {
  const pattern =
    /\bloadModule<typeof import\("([^"]+)"\)>\(\s*(?:new URL\(\s*"([^"]+)",\s*import\.meta\.url,?\s*\)|"([^"]+)"),?\s*\)/g;
  const text = withoutComments(await Deno.readTextFile(new URL(file, ROOT)));
  const found = [...text.matchAll(pattern)];
  const calls = found.map(([call, typed, relative, bare]) => {
    // A relative string would resolve against load_module.ts, not the caller.
    assert.ok(bare === undefined || !bare.startsWith("."), `${file}: ${call}`);
    assert.equal(typed, relative ?? bare, `${file}: the type and the module differ`);
    return { file, typed: typed!, loaded: relative ?? bare! };
  });
  // Every call is one the pattern read (a call written another way would escape the check).
  const all = [...text.matchAll(/\bloadModule(?!<Module>)\s*[<(]/g)].length;
  assert.equal(all, found.length, `${file}: a loadModule call the check cannot read`);
  return calls;
}

/** A relative call's module as a path from the root, as COMPILE_INCLUDES lists it. */
function includePath({ file, loaded }: LoadModuleCall): string {
  return new URL(loaded, new URL(file, ROOT)).href.slice(ROOT.href.length);
}

/** Every loadModule call in src/. */
async function loadedBySrc(): Promise<LoadModuleCall[]> {
  const calls: LoadModuleCall[] = [];
  for await (const file of walkTs(new URL("src/", ROOT))) {
    calls.push(...await loadModuleCalls(file));
  }
  return calls;
}

async function* walkTs(dir: URL): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* walkTs(url);
    else if (entry.name.endsWith(".ts")) yield url.href.slice(ROOT.href.length);
  }
}

Deno.test("every module src/ loads through loadModule is in the compile includes, and exists", async () => {
  const calls = await loadedBySrc();
  const relative = calls.filter((c) => c.loaded.startsWith("."));
  assert.ok(relative.some((c) => c.loaded === "./_sse.ts"), JSON.stringify(calls));
  assert.ok(relative.some((c) => c.loaded === "./shell/repl.ts"), JSON.stringify(calls));
  for (const call of calls) {
    if (!call.loaded.startsWith(".")) continue; // a package, resolved by deno.json's imports
    const path = includePath(call);
    assert.ok(COMPILE_INCLUDES.includes(path), `${path} (loaded by ${call.file}) not included`);
  }
});

Deno.test("the ctl client's modules import no module or package by a string literal", async () => {
  // ctl.ts and what it reaches before a command runs: a literal import("…")
  // would make `deno run` read that module's graph (npm packages included) first.
  for (const file of ["src/ctl.ts", "src/api/client.ts"]) {
    const code = withoutComments(await Deno.readTextFile(new URL(file, ROOT)));
    const literal = [...code.matchAll(/(?<!typeof )\bimport\(\s*"([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(literal.filter((s) => !s!.startsWith("node:")), [], file);
  }
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
    // Every option, short ones too, but the build's own (what to include, where to write).
    const flags = words.filter((w) => w.startsWith("-") && !/^--(include|output)(=|$)/.test(w));
    assert.deepEqual(flags.sort(), [...RUN_FLAGS].sort(), `deno.json task ${task}`);
  }
});
