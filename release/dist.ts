/**
 * `make dist`: release binaries with `deno compile` for each target, a tarball per target
 * and a SHA256SUMS file, in dist/. `deno compile` needs its runtime (denort) for the
 * target: downloaded when online, or `DENORT_BIN` (then only the host's target is built,
 * since one denort runs on one target). When it cannot be had, one line says so and the
 * exit is non-zero: nothing pretends to be a binary.
 *
 * Environment: DIST_TARGETS (space-separated: linux-x64 linux-arm64 macos-x64
 * macos-arm64), DENORT_BIN, DIST_DIR (default dist).
 *
 * @module
 */

import { basename, join } from "node:path";
import { RUN_FLAGS } from "../src/permissions.ts";
import { VERSION } from "../src/version.ts";
import { COMPILE_INCLUDES } from "../src/compile_includes.ts";

const TARGETS: Record<string, string> = {
  "linux-x64": "x86_64-unknown-linux-gnu",
  "linux-arm64": "aarch64-unknown-linux-gnu",
  "macos-x64": "x86_64-apple-darwin",
  "macos-arm64": "aarch64-apple-darwin",
};

const encoder = new TextEncoder();
const say = (text: string) => Deno.stderr.writeSync(encoder.encode(`${text}\n`));

function hostTarget(): string {
  const arch = Deno.build.arch === "aarch64" ? "arm64" : "x64";
  return `${Deno.build.os === "darwin" ? "macos" : Deno.build.os}-${arch}`;
}

function chosenTargets(): string[] {
  const listed = Deno.env.get("DIST_TARGETS")?.split(/\s+/).filter((t) => t !== "");
  if (listed !== undefined && listed.length > 0) return listed;
  // One denort binary is the runtime of one target only.
  return Deno.env.get("DENORT_BIN") ? [hostTarget()] : Object.keys(TARGETS);
}

async function run(cmd: string, args: string[]): Promise<{ ok: boolean; stderr: string }> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  return { ok: out.success, stderr: new TextDecoder().decode(out.stderr) };
}

/** The line of deno's error chain that says why (`dns error: …`, `Could not find denort…`). */
function reason(stderr: string): string {
  // deno colours its output even into a pipe.
  // deno-lint-ignore no-control-regex
  const plain = stderr.replace(/\x1b\[[0-9;]*m/g, "");
  const causes = plain.split("\n").map((l) => l.trim()).filter((l) => /^\d+: /.test(l));
  const chosen = causes.find((l) => /denort|dns|connect|download|not find/i.test(l)) ??
    causes[0] ?? plain.split("\n").find((l) => l.includes("error")) ?? "unknown error";
  return chosen.replace(/^\d+: /, "");
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function main(): Promise<number> {
  const distDir = Deno.env.get("DIST_DIR") ?? "dist";
  const targets = chosenTargets();
  const unknown = targets.filter((t) => !(t in TARGETS));
  if (unknown.length > 0) {
    say(`make dist: unknown target ${unknown.join(", ")} (use ${Object.keys(TARGETS).join(", ")})`);
    return 2;
  }
  await Deno.mkdir(distDir, { recursive: true });
  const sums: string[] = [];
  for (const target of targets) {
    const name = `taskmaster-${VERSION}-${target}`;
    const dir = join(distDir, name);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.mkdir(dir, { recursive: true });
    const compiled = await run(Deno.execPath(), [
      "compile",
      "--quiet",
      "--target",
      TARGETS[target]!,
      ...RUN_FLAGS,
      // Modules the static graph does not reach (a worker's, the commands' of main.ts).
      ...COMPILE_INCLUDES.flatMap((path) => ["--include", path]),
      "--output",
      join(dir, "taskmaster"),
      "main.ts",
    ]);
    if (!compiled.ok) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      say(
        `make dist: deno compile cannot get its runtime (denort) for ${target}: ${
          reason(compiled.stderr)
        }; run it online or set DENORT_BIN to a denort ${Deno.version.deno} binary for ${target}`,
      );
      return 1;
    }
    await Deno.copyFile("README.md", join(dir, "README.md"));
    const tarball = join(distDir, `${name}.tar.gz`);
    const tar = await run("tar", ["-czf", tarball, "-C", distDir, name]);
    if (!tar.ok) {
      say(`make dist: tar failed for ${target}: ${tar.stderr.trim()}`);
      return 1;
    }
    sums.push(`${await sha256(tarball)}  ${basename(tarball)}`);
    say(`built ${tarball}`);
  }
  await Deno.writeTextFile(join(distDir, "SHA256SUMS"), `${sums.join("\n")}\n`);
  say(`wrote ${join(distDir, "SHA256SUMS")}`);
  return 0;
}

Deno.exit(await main());
