/**
 * The real supervisor 4.2.5 (Debian's `supervisor` package) for tests: its
 * Python, supervisorctl and supervisord. Missing ones make the test fail
 * with a clear message, never skip (.ci/run installs the package).
 */

/** Debian's Python, which has the `supervisor` package (pyenv's python3 may not). */
export const SYSTEM_PYTHON = "/usr/bin/python3";
export const SUPERVISORCTL = "/usr/bin/supervisorctl";
export const SUPERVISORD = "/usr/bin/supervisord";

/** Throws (fails the test) when supervisor is not installed. */
export function requireSupervisor(): void {
  for (const path of [SYSTEM_PYTHON, SUPERVISORCTL, SUPERVISORD]) {
    try {
      Deno.statSync(path);
    } catch {
      throw new Error(
        `${path} is missing: install Debian's supervisor package (.ci/run does: apt-get install supervisor)`,
      );
    }
  }
}

/** Runs a command to completion. */
export async function run(
  cmd: string,
  args: string[],
  options: Omit<Deno.CommandOptions, "args"> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...options,
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
