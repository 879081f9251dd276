/**
 * The shell's command table and {@link runCommand}, with the commands that
 * act (start, stop, restart, signal, clear, reload, shutdown). The ones that
 * look are in `_status.ts`, the ones that follow in `_follow.ts`, `top` in
 * `_top.ts`. Each command parses its words, makes one {@link SupervisorPort}
 * call and prints with `format.ts`, in supervisorctl's words and exit codes
 * (SEMANTICS.md B4).
 * The same code serves the daemon's foreground shell ("local") and
 * `taskmaster ctl` ("remote"); only `quit`/`exit` differ between them.
 *
 * @module
 */

import type { ActionResult, SupervisorPort } from "../api/protocol.ts";
import { type ErrorCode, hasCode } from "../util/errors.ts";
import { errorExitCode, errorText, EXIT, UsageError } from "./_errors.ts";
import { attachCommand, logCommand, tailCommand } from "./_follow.ts";
import { topCommand } from "./_top.ts";
import { alertCommand, pidCommand, statusCommand } from "./_status.ts";
import { type Command, type CommandOutcome, ok, print, type ShellContext } from "./command.ts";
import { formatActionResult, formatReloadReport } from "./format.ts";
import { suggest } from "../config/suggest.ts";

function requireNames(command: string, args: string[]): string[] {
  if (args.length === 0) throw new UsageError(`${command} requires a process name`);
  return args;
}

/**
 * Every action asks the port to answer name by name: an unknown name comes
 * back as its own `ERROR (no such process)` result and the others are still
 * acted on, as supervisorctl does.
 */
const PER_NAME = { perName: true } as const;

/** Faults that mean "the program is dead": exit 7 (supervisorctl's DEAD_PROGRAM_FAULTS). */
const DEAD_PROGRAM: ReadonlySet<ErrorCode> = new Set([
  "SPAWN_ERROR",
  "ABNORMAL_TERMINATION",
  "NOT_RUNNING",
]);

/**
 * supervisorctl's `set_exitstatus_from_xmlrpc_fault`: ignored codes count as
 * success (`start` of a started process, `stop` of a stopped one), dead
 * program faults give 7, any other failure 1.
 */
function actionExitCode(results: readonly ActionResult[], ignored: readonly ErrorCode[]): number {
  let exitCode: number = EXIT.OK;
  for (const result of results) {
    const code = result.ok ? undefined : result.error?.code ?? "INTERNAL";
    if (code === undefined || ignored.includes(code)) continue;
    if (DEAD_PROGRAM.has(code)) exitCode = EXIT.NOT_RUNNING;
    else if (exitCode === EXIT.OK) exitCode = EXIT.FAILED;
  }
  return exitCode;
}

/** start / stop / clear: one call, one line per instance. */
function simpleAction(
  command: string,
  verb: string,
  ignored: readonly ErrorCode[],
  call: (port: SupervisorPort, names: readonly string[]) => Promise<ActionResult[]>,
): Command["run"] {
  return async (ctx, args) => {
    const results = await call(ctx.port, requireNames(command, args));
    print(ctx, results.map((r) => formatActionResult(r, verb)));
    return ok(actionExitCode(results, ignored));
  };
}

/**
 * start / stop: `--no-deps` acts on the named processes alone. Dependencies
 * or dependents acted on too are listed with why (`api: stopped (depends on db)`).
 */
function dependencyAction(
  command: "start" | "stop",
  verb: string,
  ignored: readonly ErrorCode[],
): Command["run"] {
  return async (ctx, args) => {
    const noDeps = args.includes("--no-deps");
    const names = args.filter((a) => a !== "--no-deps");
    const flag = names.find((a) => a.startsWith("-"));
    if (flag !== undefined) throw new UsageError(`${command}: unknown option ${flag}`);
    const results = await ctx.port[command](
      requireNames(command, names),
      noDeps ? { noDeps, ...PER_NAME } : PER_NAME,
    );
    print(ctx, results.map((r) => formatActionResult(r, verb)));
    return ok(actionExitCode(results, ignored));
  };
}

async function why(ctx: ShellContext, args: string[]): Promise<CommandOutcome> {
  if (args.length !== 1) throw new UsageError("why requires one process name");
  print(ctx, [await ctx.port.why(args[0]!)]);
  return ok();
}

async function restart(ctx: ShellContext, args: string[]): Promise<CommandOutcome> {
  const results = await ctx.port.restart(requireNames("restart", args), PER_NAME);
  // `stopped` then `started` for what was running, `started` alone for the
  // rest (never an ERROR (not running)): the result's steps say which.
  print(
    ctx,
    results.flatMap((r) => [
      ...(r.steps?.includes("stop") ? [`${r.name}: stopped`] : []),
      formatActionResult(r, "started"),
    ]),
  );
  return ok(actionExitCode(results, ["ALREADY_STARTED"]));
}

async function signal(ctx: ShellContext, args: string[]): Promise<CommandOutcome> {
  const [sig, ...names] = args;
  if (sig === undefined || names.length === 0) {
    throw new UsageError("signal requires a signal name and a process name");
  }
  const results = await ctx.port.signal(sig, names, PER_NAME);
  print(ctx, results.map((r) => formatActionResult(r, "signalled")));
  return ok(actionExitCode(results, []));
}

async function reload(ctx: ShellContext, args: string[]): Promise<CommandOutcome> {
  if (args.length > 0) throw new UsageError("reload takes no arguments");
  try {
    ctx.output.out(formatReloadReport(await ctx.port.reload()));
    return ok();
  } catch (error) {
    if (!hasCode(error, "BAD_CONFIG")) throw error;
    // Every issue, one per line: the file was rejected as a whole and the
    // running programs were left untouched.
    const lines = (error as Error).message.split("\n").filter((l) => l.trim() !== "");
    ctx.output.err(lines.map((l) => `${l}\n`).join(""));
    return ok(EXIT.USAGE);
  }
}

async function shutdown(ctx: ShellContext, args: string[]): Promise<CommandOutcome> {
  if (args.length > 0) throw new UsageError("shutdown takes no arguments");
  try {
    await ctx.port.shutdown();
  } catch (error) {
    // Already on its way down: there is nothing left for this shell to do.
    if (!hasCode(error, "SHUTTING_DOWN")) throw error;
    ctx.output.err(`${errorText(error)}\n`);
    return { exitCode: EXIT.FAILED, quit: true };
  }
  print(ctx, ["Shut down"]);
  return { exitCode: EXIT.OK, quit: true };
}

function quit(ctx: ShellContext, args: string[]): Promise<CommandOutcome> {
  // In the daemon's own shell, leaving means stopping; `ctl` just leaves.
  if (ctx.mode === "local") return shutdown(ctx, args);
  return Promise.resolve({ exitCode: EXIT.OK, quit: true });
}

async function version(ctx: ShellContext): Promise<CommandOutcome> {
  print(ctx, [await ctx.port.version()]);
  return ok();
}

function help(ctx: ShellContext, args: string[]): Promise<CommandOutcome> {
  const [topic] = args;
  if (topic === undefined) {
    const width = Math.max(...COMMAND_NAMES.map((n) => n.length)) + 2;
    const lines = COMMAND_NAMES.map((n) => `  ${n.padEnd(width)}${COMMANDS[n]!.summary}`);
    print(ctx, ["Commands (type help <command> for its usage):", ...lines]);
    return Promise.resolve(ok());
  }
  const command = Object.hasOwn(COMMANDS, topic) ? COMMANDS[topic] : undefined;
  if (command === undefined) {
    ctx.output.err(`*** No help on ${topic}\n`);
    return Promise.resolve(ok(EXIT.USAGE));
  }
  print(ctx, [`Usage: ${command.usage}`, `  ${command.summary}`]);
  return Promise.resolve(ok());
}

/** The command table; aliases share an entry's `run`. */
const COMMANDS: Readonly<Record<string, Command>> = {
  alert: {
    usage: "alert test CHANNEL | alert status",
    summary: "Send a sample alert through a channel, or show the channels' counters",
    run: alertCommand,
  },
  attach: {
    usage: "attach name",
    summary: "Stream a process's output and send it typed lines; Ctrl-C detaches",
    run: attachCommand,
  },
  clear: {
    usage: "clear <name…|all>",
    summary: "Truncate the log files of processes",
    run: simpleAction("clear", "cleared", [], (port, n) => port.clear(n, PER_NAME)),
  },
  exit: { usage: "exit", summary: "Leave the shell (local: shut down)", run: quit },
  help: { usage: "help [command]", summary: "List commands, or show one's usage", run: help },
  log: {
    usage: "log [-f] [-n LINES]",
    summary: "Show the last lines of the event log; -f keeps following",
    run: logCommand,
  },
  pid: {
    usage: "pid [name…|all]",
    summary: "Show the daemon's pid, or processes' pids (0 if not running; `name pid` for several)",
    run: pidCommand,
  },
  quit: { usage: "quit", summary: "Leave the shell (local: shut down)", run: quit },
  reload: {
    usage: "reload",
    summary: "Re-read the config file and apply what changed",
    run: reload,
  },
  restart: {
    usage: "restart <name…|all>",
    summary: "Stop then start processes",
    run: restart,
  },
  shutdown: { usage: "shutdown", summary: "Stop every process and the daemon", run: shutdown },
  signal: {
    usage: "signal SIG <name…|all>",
    summary: "Send a signal (HUP, SIGHUP or a number) to processes",
    run: signal,
  },
  start: {
    usage: "start [--no-deps] <name…|all>",
    summary: "Start processes, and first what they depend on (unless --no-deps)",
    run: dependencyAction("start", "started", ["ALREADY_STARTED"]),
  },
  status: {
    usage: "status [--json] [name…]",
    summary: "Show process states (exit 3 if one is not running, 4 for an unknown name)",
    failCode: EXIT.STATUS_UNKNOWN,
    run: statusCommand,
  },
  stop: {
    usage: "stop [--no-deps] <name…|all>",
    summary: "Stop processes, and first what depends on them (unless --no-deps)",
    run: dependencyAction("stop", "stopped", ["NOT_RUNNING"]),
  },
  tail: {
    usage: "tail [-f] [-n LINES] name [stdout|stderr]",
    summary: "Show the last lines of a process's output; -f keeps following",
    run: tailCommand,
  },
  top: {
    usage: "top [name…]",
    summary: "Live CPU %, memory and restarts, refreshed every second until a key is pressed",
    run: topCommand,
  },
  version: { usage: "version", summary: "Show taskmaster's version", run: version },
  why: {
    usage: "why name",
    summary: "Explain a process's state: what it waits for, why it restarted, its next retry",
    run: why,
  },
};

/** Every command name the shell accepts, sorted (for help and completion). */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS).sort();

/** `did you mean status? type help for the commands` (the first part when something is close). */
export function unknownCommandHint(word: string): string {
  const prefixed = COMMAND_NAMES.filter((n) => n.startsWith(word.toLowerCase()));
  const guess = prefixed.length === 1 ? prefixed[0] : suggest(word, COMMAND_NAMES);
  return `${guess === undefined ? "" : `did you mean ${guess}? `}type help for the commands`;
}

/**
 * Runs one command line, already split into words. Never throws: usage
 * mistakes print `Error: …` plus the usage (exit 2), port errors print one
 * `Error: …` line, and anything unexpected prints one line too, never a
 * stack trace. An empty line does nothing.
 */
export async function runCommand(ctx: ShellContext, argv: string[]): Promise<CommandOutcome> {
  const [name, ...args] = argv;
  if (name === undefined) return ok();
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    ctx.output.err(`*** Unknown syntax: ${argv.join(" ")}\n${unknownCommandHint(name)}\n`);
    return ok(EXIT.USAGE);
  }
  try {
    return await command.run(ctx, args);
  } catch (error) {
    if (error instanceof UsageError) {
      ctx.output.err(`Error: ${error.message}\nUsage: ${command.usage}\n`);
      return ok(EXIT.USAGE);
    }
    ctx.output.err(`${errorText(error)}\n`);
    return ok(command.failCode ?? errorExitCode(error));
  }
}
