/**
 * The shell loop: {@link runShell}. A terminal on stdin gets the readline
 * REPL (`_interactive.ts`, imported only then, so `taskmaster ctl status`
 * and piped input never load node:readline); anything else is read one
 * command per line, with no prompt and no echo.
 *
 * @module
 */

import type { ShellContext } from "./command.ts";
import { StreamLineSource } from "./line_source.ts";
import { runLines } from "./_loop.ts";

/** How {@link runShell} reads its input. */
export interface ShellOptions {
  /** Interactive history, kept across runs; none when absent. */
  historyFile?: string;
  /** Piped input to read instead of Deno.stdin (tests, scripts). */
  stdin?: ReadableStream<Uint8Array>;
  /**
   * Force the readline REPL on or off. Default: on when `stdin` is not given
   * and Deno.stdin is a terminal.
   */
  interactive?: boolean;
}

/**
 * Runs the shell until `quit`/`exit`/`shutdown`, end of input (Ctrl-D), or
 * `ctx.signal` aborting. Returns the exit code of the last command (in local
 * mode that is the `shutdown` that end of input implies).
 */
export async function runShell(ctx: ShellContext, options: ShellOptions = {}): Promise<number> {
  const interactive = options.interactive ??
    (options.stdin === undefined && Deno.stdin.isTerminal());
  if (interactive) {
    const { runInteractive } = await import("./_interactive.ts");
    return await runInteractive(ctx, { historyFile: options.historyFile });
  }
  const source = new StreamLineSource(options.stdin ?? Deno.stdin.readable);
  try {
    return await runLines(ctx, source);
  } finally {
    await source.close();
  }
}
