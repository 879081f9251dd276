/**
 * The interactive REPL on a terminal: node:readline gives the prompt, emacs
 * line editing, history (Up/Down, Ctrl-R) and Tab completion. Loaded only
 * when stdin is a terminal (see `repl.ts`).
 *
 * Keys: Ctrl-C clears the line at the prompt and ends a following command
 * (`tail -f`, `log -f`, `attach`) while one runs; it never leaves the shell.
 * Ctrl-D on an empty prompt ends input: `shutdown` in the local shell,
 * leaving in the remote one. While a command runs Ctrl-D is dropped, so that
 * pressing it inside `attach` cannot shut the daemon down.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import process from "node:process";
import * as readline from "node:readline";
import { type Readable, Transform, type Writable } from "node:stream";
import type { ShellContext } from "./command.ts";
import { createCompleter } from "./completer.ts";
import { appendHistory, HISTORY_LIMIT, loadHistory } from "./history.ts";
import { QueueLineSource } from "./line_source.ts";
import { runLines } from "./_loop.ts";

/** The prompt, as the brief and the docs spell it. */
export const PROMPT = "taskmaster> ";

/** Where the REPL reads keys and draws its line. */
export interface InteractiveOptions {
  historyFile?: string;
  /** Raw keystrokes; default: process.stdin, switched to raw mode. */
  input?: Readable;
  /** The terminal readline draws on; default: process.stdout. */
  output?: Writable;
}

/** Ctrl-D, the byte readline turns into "close" on an empty line. */
const EOT = 0x04;

/** Runs the readline REPL; returns the exit code of the last command. */
export async function runInteractive(
  ctx: ShellContext,
  options: InteractiveOptions = {},
): Promise<number> {
  const realTerminal = options.input === undefined;
  const keysIn: Readable = options.input ?? process.stdin;
  const screen: Writable = options.output ?? process.stdout;
  // The command in progress; Ctrl-C aborts it.
  let running: AbortController | null = null;
  // `top` waits for any key: while it does, keystrokes go to it, not to readline.
  const keyWaiters = new Set<() => void>();
  const waitForKey = (signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const done = () => {
        keyWaiters.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      keyWaiters.add(done);
      signal.addEventListener("abort", done, { once: true });
    });

  // Keystrokes reach readline through this filter (see the module doc about
  // Ctrl-D). Raw mode is asked of the filter, so it forwards to the tty.
  const keys = Object.assign(
    new Transform({
      transform(chunk: Uint8Array, _encoding, done) {
        if (running && keyWaiters.size > 0) {
          for (const wake of [...keyWaiters]) wake();
          return done();
        }
        done(null, running ? Buffer.from(chunk.filter((b) => b !== EOT)) : chunk);
      },
    }),
    {
      isTTY: true,
      setRawMode(mode: boolean) {
        if (realTerminal && process.stdin.isTTY) process.stdin.setRawMode(mode);
        return this;
      },
    },
  );
  keysIn.pipe(keys);

  const historyFile = options.historyFile;
  let history: string[] = [];
  let historyWarned = false;
  const historyFailed = (error: unknown) => {
    // Say it once; a read-only home must not spoil every command.
    if (historyWarned) return;
    historyWarned = true;
    const why = error instanceof Error ? error.message : String(error);
    ctx.output.err(`Warning: history file ${historyFile}: ${why}\n`);
  };
  if (historyFile !== undefined) {
    try {
      history = loadHistory(historyFile);
    } catch (error) {
      historyFailed(error);
    }
  }

  const complete = createCompleter(ctx.port);
  // Fetch process names now, so that name completion answers at once too.
  Promise.resolve(complete("status ")).catch(() => {});
  const rl = readline.createInterface({
    input: keys,
    output: screen,
    terminal: true,
    prompt: PROMPT,
    history: history.slice().reverse(), // readline wants newest first
    historySize: HISTORY_LIMIT,
    completer: (line: string, callback: (error: null, result: [string[], string]) => void) => {
      const result = complete(line);
      if (!(result instanceof Promise)) return callback(null, result);
      result.then(
        (done) => callback(null, done),
        () => callback(null, [[], line]),
      );
    },
  });
  const editor = rl as unknown as { line: string; cursor: number; history: string[] };

  const lines = new QueueLineSource();
  let closed = false;
  rl.on("line", (line: string) => {
    // A line typed into `attach` is for the process, not for the history.
    if (running && editor.history[0] === line) editor.history.shift();
    lines.push(line);
  });
  rl.on("close", () => {
    if (!closed) screen.write("\n"); // Ctrl-D: end the prompt's line
    closed = true;
    lines.end();
  });
  rl.on("SIGINT", () => {
    if (running) {
      running.abort();
      return;
    }
    // At the prompt: drop what was typed and prompt again, as bash does.
    screen.write("^C\n");
    editor.line = "";
    editor.cursor = 0;
    rl.prompt();
  });
  const onShutdown = () => {
    closed = true;
    rl.close();
  };
  ctx.signal?.addEventListener("abort", onShutdown, { once: true });

  try {
    rl.prompt();
    return await runLines({ ...ctx, keys: waitForKey, terminal: realTerminal }, lines, {
      onLine(line) {
        if (historyFile === undefined) return;
        try {
          appendHistory(historyFile, line);
        } catch (error) {
          historyFailed(error);
        }
      },
      beginCommand() {
        running = new AbortController();
        return ctx.signal ? AbortSignal.any([ctx.signal, running.signal]) : running.signal;
      },
      endCommand() {
        running = null;
        if (!closed) rl.prompt();
      },
    });
  } finally {
    ctx.signal?.removeEventListener("abort", onShutdown);
    closed = true;
    rl.close();
    keysIn.unpipe(keys);
    // Stop reading the terminal so nothing holds the process open.
    if (realTerminal) process.stdin.pause();
  }
}
