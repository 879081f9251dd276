/**
 * `./taskmaster`, the script every documented command goes through: it must
 * find its Deno without PATH, run main.ts under the binary's flags, and keep
 * the caller's directory.
 */
import assert from "node:assert/strict";
import { RUN_FLAGS } from "../../src/permissions.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** PATH without any directory holding a `deno`. */
function pathWithoutDeno(): string {
  return (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":").filter((dir) => {
    try {
      Deno.statSync(`${dir}/deno`);
      return false;
    } catch {
      return true;
    }
  }).join(":");
}

async function script(args: string[], cwd: string) {
  const home = Deno.env.get("HOME") ?? "/root";
  const env: Record<string, string> = { PATH: pathWithoutDeno(), HOME: home };
  const certs = Deno.env.get("NODE_EXTRA_CA_CERTS");
  if (certs !== undefined) env.NODE_EXTRA_CA_CERTS = certs;
  const out = await new Deno.Command(`${ROOT}taskmaster`, { args, cwd, env, clearEnv: true })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("./taskmaster runs from a subdirectory with no deno on PATH, on paths relative to it", async () => {
  const r = await script(["check", "-c", "example.yaml"], `${ROOT}configs`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${ROOT}configs/example.yaml: valid (5 programs)\n`);
  assert.equal(r.stderr, "", "quiet: no Deno banner or download line");
  const bad = await script(["check", "-c", "invalid_example.yaml"], `${ROOT}configs`);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid_example\.yaml:\d+:\d+: program/);
});

Deno.test("./taskmaster passes exactly the flags of src/permissions.ts (RUN_FLAGS)", async () => {
  // A program reporting what it was granted, run through the script's own flags.
  const flags = (await Deno.readTextFile(`${ROOT}taskmaster`)).match(/sed -n '([^']*)'/);
  assert.ok(flags !== null, "the script reads its flags from src/permissions.ts with sed");
  const extracted = await new Deno.Command("sed", {
    args: ["-n", flags[1]!, `${ROOT}src/permissions.ts`],
  }).output();
  assert.deepEqual(
    new TextDecoder().decode(extracted.stdout).trim().split("\n"),
    [...RUN_FLAGS],
  );
});

Deno.test("./taskmaster through a symlink finds its checkout", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tm-script-" });
  try {
    await Deno.symlink(`${ROOT}taskmaster`, `${dir}/taskmaster`);
    const out = await new Deno.Command(`${dir}/taskmaster`, {
      args: ["--version"],
      cwd: dir,
      env: { PATH: pathWithoutDeno(), HOME: Deno.env.get("HOME") ?? "/root" },
    }).output();
    assert.equal(out.code, 0);
    assert.match(new TextDecoder().decode(out.stdout), /^taskmaster \d+\.\d+\.\d+\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
