/**
 * `taskmaster ctl`: one command against a running daemon, or the
 * interactive shell when no command is given. Keeps its import graph small:
 * the socket client and the shell's command table, nothing of the daemon.
 *
 * @module
 */

import { connectClient, UnreachableError } from "./api/client.ts";
import { runCommand } from "./shell/commands.ts";
import { EXIT } from "./shell/_errors.ts";
import { describeOwner, foreignOwner } from "./api/socket_owner.ts";
import { denoOutput } from "./util/text_output.ts";
import { ArgumentError, readOptions, stringOption } from "./util/cli_args.ts";
import { loadModule } from "./util/load_module.ts";

const CTL_USAGE = "usage: taskmaster ctl [-s SOCKET | -c FILE] [COMMAND [ARGS...]]\n";

const CTL_OPTIONS = {
  socket: { type: "string", short: "s" },
  config: { type: "string", short: "c" },
  file: { type: "string", short: "f" },
  help: { type: "boolean", short: "h" },
} as const;

/** Runs `ctl` with its arguments (after `ctl`); resolves with the exit code. */
export async function runCtl(args: string[]): Promise<number> {
  let read;
  try {
    // Our options come first; the first other word starts the command.
    read = readOptions(args, CTL_OPTIONS, { untilFirstWord: true });
  } catch (error) {
    if (!(error instanceof ArgumentError)) throw error;
    denoOutput.err(`taskmaster ctl: ${error.message}\n${CTL_USAGE}`);
    return 2;
  }
  const { values, rest: words } = read;
  if (values.help) {
    denoOutput.out(CTL_USAGE);
    return 0;
  }
  let socket = stringOption(values.socket);
  const configFile = stringOption(values.config) ?? stringOption(values.file);
  if (socket === undefined && configFile !== undefined) {
    socket = await socketFromConfig(configFile);
  }
  socket ??= Deno.env.get("TASKMASTER_SOCKET") ?? `${Deno.cwd()}/taskmaster.sock`;

  const owner = foreignOwner(socket, { allowRoot: true });
  if (owner !== null) {
    denoOutput.err(
      `taskmaster ctl: socket ${socket} is owned by ${
        describeOwner(owner)
      }, not by you or root; refusing to talk to it\n`,
    );
    return 1;
  }
  const port = connectClient(socket);
  try {
    // One cheap call first, so an unreachable daemon is one clear line.
    await port.daemonPid();
  } catch (error) {
    if (error instanceof UnreachableError) {
      denoOutput.err(`taskmaster ctl: ${error.message}\n`);
      // LSB "program is not running", as supervisorctl exits when its socket is missing.
      return EXIT.NOT_RUNNING;
    }
    throw error;
  }
  try {
    if (words.length > 0) {
      const outcome = await runCommand(
        { port, output: denoOutput, mode: "remote", terminal: Deno.stdout.isTerminal() },
        words,
      );
      return outcome.exitCode;
    }
    const { runShell } = await loadModule<typeof import("./shell/repl.ts")>(
      new URL("./shell/repl.ts", import.meta.url),
    );
    const home = Deno.env.get("HOME");
    return await runShell(
      { port, output: denoOutput, mode: "remote" },
      { historyFile: home ? `${home}/.taskmaster_history` : ".taskmaster_history" },
    );
  } finally {
    port.close();
  }
}

/**
 * The socket a config file names: only `taskmaster.socket` is read, so that
 * a file broken by an edit still leads to its daemon (whose `reload` then
 * reports the errors). Anything unreadable means the default beside the file.
 */
async function socketFromConfig(file: string): Promise<string> {
  const { dirname, resolve } = await import("node:path");
  const path = resolve(file);
  const fallback = resolve(dirname(path), "taskmaster.sock");
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return fallback;
  }
  const { parseDocument } = await loadModule<typeof import("yaml")>("yaml");
  try {
    const written = parseDocument(text).getIn(["taskmaster", "socket"]);
    return typeof written === "string" && written.trim() !== ""
      ? resolve(dirname(path), written)
      : fallback;
  } catch {
    return fallback;
  }
}
