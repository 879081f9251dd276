import assert from "node:assert/strict";
import * as spawnCode from "../../src/process/native_spawn_code.ts";
import * as stampCode from "../../src/output/native_stamp_code.ts";
import * as copyCode from "../../src/output/native_copy_code.ts";
import * as restartCode from "../../src/process/native_restart_code.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
/** Each C source and the module native/build.sh makes of it. */
const OBJECTS = [
  ["native/spawn_into_cgroup.c", "src/process/native_spawn_code.ts", spawnCode.SOURCE_SHA256],
  ["native/line_stamp.c", "src/output/native_stamp_code.ts", stampCode.SOURCE_SHA256],
  ["native/flood_copy.c", "src/output/native_copy_code.ts", copyCode.SOURCE_SHA256],
  [
    "native/restart_at_exit.c",
    "src/process/native_restart_code.ts",
    restartCode.SOURCE_SHA256,
  ],
] as const;

async function sha256(path: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", await Deno.readFile(path)),
  );
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("the native code committed is what native/build.sh compiles from the C sources", async () => {
  for (const [source, _, sum] of OBJECTS) {
    assert.equal(sum, await sha256(`${ROOT}/${source}`), `${source} changed: run \`make native\``);
  }
  // Rebuilt into a copy of the tree: the same bytes (gcc is on every machine of this kind).
  const copy = await Deno.makeTempDir({ prefix: "tm_native_build_" });
  try {
    await Deno.mkdir(`${copy}/native`);
    await Deno.mkdir(`${copy}/src/process`, { recursive: true });
    await Deno.mkdir(`${copy}/src/output`, { recursive: true });
    for (const file of ["native/build.sh", ...OBJECTS.map(([source]) => source)]) {
      await Deno.copyFile(`${ROOT}/${file}`, `${copy}/${file}`);
    }
    const built = await new Deno.Command("sh", { args: [`${copy}/native/build.sh`] }).output();
    assert.equal(built.code, 0, new TextDecoder().decode(built.stderr));
    const firstLine = async (command: string, args: string[]) =>
      new TextDecoder().decode((await new Deno.Command(command, { args }).output()).stdout)
        .split("\n")[0]!.trim();
    // The tools whose versions build.sh writes into each module's header.
    const tools = [
      `// gcc: ${await firstLine("gcc", ["-dumpfullversion"])},`,
      `// ld: ${await firstLine("ld", ["--version"])}`,
      `// libc: ${await firstLine("ldd", ["--version"])}`,
    ];
    for (const [_, module] of OBJECTS) {
      const committed = await Deno.readTextFile(`${ROOT}/${module}`);
      // Another gcc, linker or libc makes other bytes: then only that the sources build is checked.
      if (!tools.every((line) => committed.includes(line))) continue;
      assert.equal(
        await Deno.readTextFile(`${copy}/${module}`),
        committed,
        `${module} is not what build.sh makes: run \`make native\``,
      );
    }
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
});
