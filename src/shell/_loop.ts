/**
 * The read-run loop shared by the piped and the interactive shell: one
 * command per line, in order, until a command quits or the input ends.
 *
 * @module
 */

import { runCommand } from "./commands.ts";
import type { CommandOutcome, ShellContext } from "./command.ts";
import { EXIT } from "./_errors.ts";
import type { LineSource } from "./line_source.ts";
import { SplitError, splitWords } from "./split_words.ts";

/** What the interactive shell adds around each command. */
export interface LoopHooks {
  /** A command line is about to run (history). */
  onLine?(line: string): void;
  /** The signal that ends this command's follow (Ctrl-C), if the caller has one. */
  beginCommand?(): AbortSignal | undefined;
  /** The command finished, or the line was skipped, and the shell goes on (prompt again). */
  endCommand?(): void;
}

/**
 * Runs the lines of `source` as commands and returns the exit code of the
 * last one. Blank lines and `#` comments are skipped. At the end of input,
 * the local shell runs `shutdown` (the daemon's terminal is gone: nobody is
 * left to drive it); the remote shell just returns. When `ctx.signal` aborts
 * (the daemon is going down anyway), the loop returns without a shutdown.
 */
export async function runLines(
  ctx: ShellContext,
  source: LineSource,
  hooks: LoopHooks = {},
): Promise<number> {
  let exitCode: number = EXIT.OK;
  for (;;) {
    const line = await source.next(ctx.signal);
    if (line === null) break;
    const text = line.trim();
    if (text === "" || text.startsWith("#")) {
      hooks.endCommand?.();
      continue;
    }
    hooks.onLine?.(text);
    const outcome = await runLine(ctx, source, text, hooks);
    exitCode = outcome.exitCode;
    // Leaving: no prompt for a next command that will never be read.
    if (outcome.quit) return exitCode;
    hooks.endCommand?.();
  }
  if (ctx.mode === "local" && !ctx.signal?.aborted) {
    exitCode = (await runCommand(ctx, ["shutdown"])).exitCode;
  }
  return exitCode;
}

async function runLine(
  ctx: ShellContext,
  source: LineSource,
  text: string,
  hooks: LoopHooks,
): Promise<CommandOutcome> {
  let argv: string[];
  try {
    argv = splitWords(text);
  } catch (error) {
    if (!(error instanceof SplitError)) throw error;
    ctx.output.err(`Error: ${error.message}\n`);
    return { exitCode: EXIT.USAGE };
  }
  const signal = hooks.beginCommand?.() ?? ctx.signal;
  // `attach` reads the lines that follow from the same source.
  return await runCommand({ ...ctx, signal, input: source }, argv);
}
