/**
 * `--detach`: start the daemon as a background session leader and return
 * only once it serves its socket, printing its pid; if it fails first, print
 * its error and exit with its code.
 *
 * @module
 */

import { PERMISSION_FLAGS } from "../permissions.ts";

const encoder = new TextEncoder();

/** The command that re-runs this program: the compiled binary, or `deno run main.ts`. */
export function selfCommand(): { command: string; args: string[] } {
  const exec = Deno.execPath();
  if (!/\/deno$/.test(exec)) return { command: exec, args: [] };
  return {
    command: exec,
    args: ["run", ...PERMISSION_FLAGS, new URL(Deno.mainModule).pathname],
  };
}

/** Spawns the daemon with `args` and waits for it to be ready. */
export async function detach(args: string[]): Promise<number> {
  const self = selfCommand();
  const child = new Deno.Command(self.command, {
    args: [...self.args, ...args, "--detached-child"],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    detached: true,
  }).spawn();
  const text = await new Response(child.stderr).text();
  const ready = text.match(/^ready (\d+)$/m);
  if (ready !== null) {
    child.unref();
    Deno.stdout.writeSync(encoder.encode(`${ready[1]}\n`));
    return 0;
  }
  const status = await child.status;
  Deno.stderr.writeSync(encoder.encode(text.endsWith("\n") || text === "" ? text : `${text}\n`));
  return status.code === 0 ? 1 : status.code;
}
