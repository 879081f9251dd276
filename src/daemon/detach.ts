/**
 * `--detach`: start the daemon as a background session leader and return
 * only once it serves its socket, printing its pid; if it fails first, print
 * its error and exit with its code. With `--wait` (passed on to the daemon)
 * it returns once every autostart program is RUNNING or has failed, exit 3
 * naming those that are not running.
 *
 * @module
 */

import { RUN_FLAGS } from "../permissions.ts";
import { denoOutput } from "../util/text_output.ts";

/** The command that re-runs this program: the compiled binary, or `deno run main.ts`. */
export function selfCommand(): { command: string; args: string[] } {
  const exec = Deno.execPath();
  if (!/\/deno$/.test(exec)) return { command: exec, args: [] };
  return {
    command: exec,
    args: ["run", ...RUN_FLAGS, new URL(Deno.mainModule).pathname],
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
  // The daemon writes "ready PID" on its stderr once its socket answers;
  // anything before that (a config error, a socket in use) is its error.
  let text = "";
  const decoder = new TextDecoder();
  const reader = child.stderr.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    const ready = text.match(/^ready (\d+)(?: not running: (.*))?$/m);
    if (ready !== null) {
      await reader.cancel();
      child.unref();
      denoOutput.out(`${ready[1]}\n`);
      if (ready[2] === undefined) return 0;
      // --wait: the daemon runs on, but not everything came up.
      denoOutput.err(`taskmaster: not running after launch: ${ready[2]}\n`);
      return 3;
    }
  }
  const status = await child.status;
  denoOutput.err(text.endsWith("\n") || text === "" ? text : `${text}\n`);
  return status.code === 0 ? 1 : status.code;
}
