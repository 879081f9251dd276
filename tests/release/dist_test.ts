import assert from "node:assert/strict";
import { tempDir } from "../_helpers/daemon.ts";
import { run } from "../export/_helpers.ts";

const DIST = new URL("../../release/dist.ts", import.meta.url).pathname;
const ROOT = new URL("../..", import.meta.url).pathname;

Deno.test("make dist: a verified tarball per target, or one line saying why deno compile has no runtime (never a fake binary)", async () => {
  await using dir = await tempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-run", "--allow-read", "--allow-write", "--allow-env", DIST],
    cwd: ROOT,
    env: { DIST_DIR: `${dir}`, DIST_TARGETS: "linux-x64" },
    stdout: "piped",
    stderr: "piped",
  });
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  const files = [...Deno.readDirSync(`${dir}`)].map((e) => e.name).sort();
  if (out.code === 0) {
    // A machine that can reach (or was given) denort: the artifacts must be real.
    assert.ok(files.some((f) => f.endsWith("-linux-x64.tar.gz")), files.join(" "));
    const check = await run("sh", ["-c", `cd '${dir}' && sha256sum -c SHA256SUMS`]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const binary = files.find((f) => f.endsWith("-linux-x64") && !f.endsWith(".gz"));
    const version = await run(`${dir}/${binary}/taskmaster`, ["--version"]);
    assert.match(version.stdout, /^taskmaster \d+\.\d+\.\d+/);
  } else {
    assert.equal(out.code, 1);
    const lines = stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, stderr);
    assert.match(
      lines[0]!,
      /^make dist: deno compile cannot get its runtime \(denort\) for linux-x64: .+; run it online or set DENORT_BIN/,
    );
    assert.deepEqual(files, [], "nothing that looks like a release is left behind");
  }
});
