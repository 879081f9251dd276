/**
 * The contract between the shell's command table and its commands: what a
 * command runs against ({@link ShellContext}), what it answers
 * ({@link CommandOutcome}) and the helpers every command shares. The table
 * (`commands.ts`) and the commands kept in their own modules (`_follow.ts`,
 * `_top.ts`) both import this module and never each other.
 *
 * @module
 */

import type { SupervisorPort } from "../api/protocol.ts";
import type { TextOutput } from "../util/text_output.ts";
import type { LineSource } from "./line_source.ts";
import { EXIT } from "./_errors.ts";

/** Resolves at the next key (or end of input); null when `signal` aborted first. */
export type KeyWait = (signal: AbortSignal) => Promise<unknown>;

/** What every command runs against. */
export interface ShellContext {
  port: SupervisorPort;
  output: TextOutput;
  /** "local": the daemon's own terminal; "remote": `taskmaster ctl`. */
  mode: "local" | "remote";
  /**
   * Ends a following command (`tail -f`, `log -f`, `attach`): the REPL aborts
   * it on Ctrl-C. When absent, those commands listen for SIGINT themselves
   * while they follow (one-shot `taskmaster ctl tail -f web`).
   */
  signal?: AbortSignal;
  /** Lines `attach` forwards to the process's stdin; default: our stdin. */
  input?: LineSource;
  /** Resolves at the next key the user presses (the REPL's keyboard), for `top`. */
  keys?: KeyWait;
  /** Whether output goes to a terminal (`top` then redraws in place). */
  terminal?: boolean;
}

/** How a command ended; `quit` tells the shell loop to stop. */
export type CommandOutcome = { exitCode: number; quit?: boolean };

/** One entry of the command table. */
export interface Command {
  readonly usage: string;
  readonly summary: string;
  /** Exit code when the port call fails outright (status: 4, like supervisorctl). */
  readonly failCode?: number;
  run(ctx: ShellContext, args: string[]): Promise<CommandOutcome>;
}

/** A command that ended normally with this exit code. */
export const ok = (exitCode: number = EXIT.OK): CommandOutcome => ({ exitCode });

/** Prints lines to stdout (each gets a newline). */
export function print(ctx: ShellContext, lines: readonly string[]): void {
  if (lines.length > 0) ctx.output.out(lines.map((line) => `${line}\n`).join(""));
}
