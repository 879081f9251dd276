/**
 * The shell a foreground daemon runs on its own terminal (`taskmaster -c
 * FILE` without `--no-shell`), talking to the in-process port. Loaded only
 * when asked for.
 *
 * @module
 */

import type { SupervisorPort } from "../api/protocol.ts";

/**
 * Runs the shell until the user leaves it (true: the daemon should then
 * shut down) or `done` settles (a signal shut the daemon down while the
 * prompt was up: the shell ends too; false).
 */
export async function runLocalShell(port: SupervisorPort, done: Promise<void>): Promise<boolean> {
  const { runShell } = await import("../shell/repl.ts");
  const { denoOutput } = await import("../util/text_output.ts");
  const shellStop = new AbortController();
  done.then(() => shellStop.abort());
  await runShell(
    { port, output: denoOutput, mode: "local", signal: shellStop.signal },
    { historyFile: historyPath() },
  );
  return !shellStop.signal.aborted;
}

function historyPath(): string {
  const home = Deno.env.get("HOME");
  return home ? `${home}/.taskmaster_history` : ".taskmaster_history";
}
