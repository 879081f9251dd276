/**
 * The commands that keep running until Ctrl-C: `tail -f`, `log -f` and
 * `attach`. They stop when the context's signal aborts (the REPL's Ctrl-C)
 * or, in one-shot `taskmaster ctl`, on SIGINT.
 *
 * @module
 */

import type { CommandOutcome, ShellContext } from "./command.ts";
import { severalInstancesMessage } from "../api/protocol.ts";
import { EXIT, UsageError } from "./_errors.ts";
import { hasCode } from "../util/errors.ts";
import { errorResultLine } from "./format.ts";
import { type LineSource, raceAbort, StreamLineSource } from "./line_source.ts";

/** Longest wait of `attach` for its streams to be live before it says it is attached. */
const LIVE_WAIT_MS = 2000;

/** Lines shown by `tail` and `log` without `-n`. */
const DEFAULT_LINES = 10;

/** Parses `[-f] [-n LINES]` (also `-nLINES` and `-LINES`) anywhere in args. */
function parseFollowArgs(
  command: string,
  args: readonly string[],
): { follow: boolean; lines: number; rest: string[] } {
  let follow = false;
  let lines = DEFAULT_LINES;
  const rest: string[] = [];
  const count = (text: string | undefined): number => {
    if (text === undefined || !/^\d+$/.test(text)) {
      throw new UsageError(`${command}: -n needs a number of lines, got ${text ?? "nothing"}`);
    }
    return Number(text);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-f" || arg === "--follow") follow = true;
    else if (arg === "-n" || arg === "--lines") lines = count(args[++i]);
    else if (arg.startsWith("-n")) lines = count(arg.slice(2));
    else if (/^-\d+$/.test(arg)) lines = count(arg.slice(1));
    else if (arg.startsWith("-") && arg !== "-") {
      throw new UsageError(`${command}: unknown option ${arg}`);
    } else rest.push(arg);
  }
  return { follow, lines, rest };
}

/**
 * The signal that ends a follow: the context's, or else one aborted by the
 * next SIGINT (the listener is removed when the follow ends).
 */
function followSignal(ctx: ShellContext): { signal: AbortSignal } & Disposable {
  if (ctx.signal) return { signal: ctx.signal, [Symbol.dispose]() {} };
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  Deno.addSignalListener("SIGINT", onInterrupt);
  return {
    signal: controller.signal,
    [Symbol.dispose]: () => Deno.removeSignalListener("SIGINT", onInterrupt),
  };
}

/**
 * Feeds each item of `iterable` to `each` until it ends or `signal` aborts.
 * An abort does not wait for the producer: its iterator is told to return,
 * without waiting, so a stuck stream cannot hang the shell.
 */
async function pump<T>(
  iterable: AsyncIterable<T>,
  signal: AbortSignal,
  each: (item: T) => void,
): Promise<void> {
  const iterator = iterable[Symbol.asyncIterator]();
  try {
    for (;;) {
      const result = await raceAbort(iterator.next(), signal);
      if (result === null || result.done) return;
      each(result.value);
    }
  } finally {
    iterator.return?.().catch(() => {});
  }
}

/** `ctx.output.out` as a plain function (ShellOutputs may be class instances). */
const toOut = (ctx: ShellContext) => (text: string): void => ctx.output.out(text);
/** `ctx.output.err` as a plain function. */
const toErr = (ctx: ShellContext) => (text: string): void => ctx.output.err(text);

/** Writes text, adding the final newline if it lacks one. */
function writeLines(write: (text: string) => void, text: string): void {
  if (text !== "") write(text.endsWith("\n") ? text : `${text}\n`);
}

/** A writer that decodes byte chunks and remembers whether a line is open. */
function byteWriter(write: (text: string) => void) {
  const decoder = new TextDecoder();
  let lineOpen = false;
  const emit = (text: string) => {
    if (text === "") return;
    write(text);
    lineOpen = !text.endsWith("\n");
  };
  return {
    text: emit,
    chunk: (bytes: Uint8Array) => emit(decoder.decode(bytes, { stream: true })),
    /** Flushes the decoder and ends an open line, so the prompt starts clean. */
    end: () => {
      emit(decoder.decode());
      if (lineOpen) write("\n");
    },
  };
}

/** A program of several instances says which; anything else is `name: ERROR (no such process)`. */
function badNameLine(name: string, error: unknown): string {
  const message = error instanceof Error ? error.message : "";
  return message.startsWith(`${name} names `) ? message : errorResultLine(name, "BAD_NAME", "");
}

/** `tail [-f] [-n LINES] name [stdout|stderr]`. */
export async function tailCommand(ctx: ShellContext, args: string[]): Promise<CommandOutcome> {
  const { follow, lines, rest } = parseFollowArgs("tail", args);
  const [name, stream = "stdout", ...extra] = rest;
  if (name === undefined) throw new UsageError("tail requires a process name");
  if (stream !== "stdout" && stream !== "stderr") {
    throw new UsageError(`tail: the stream is stdout or stderr, not ${stream}`);
  }
  if (extra.length > 0) throw new UsageError(`tail: unexpected argument ${extra[0]}`);
  try {
    const last = await ctx.port.tail(name, stream, lines);
    if (!follow) writeLines(toOut(ctx), last);
    else {
      using stop = followSignal(ctx);
      const writer = byteWriter(toOut(ctx));
      // A partial last line (a prompt, a progress bar) stays open: its rest follows.
      writer.text(last);
      try {
        await pump(await ctx.port.follow(name, stream, stop.signal), stop.signal, writer.chunk);
      } finally {
        writer.end();
      }
    }
    return { exitCode: EXIT.OK };
  } catch (error) {
    if (hasCode(error, "BAD_NAME")) {
      ctx.output.out(`${badNameLine(name, error)}\n`);
    } else if (hasCode(error, "NO_FILE")) {
      ctx.output.out(`${name}: ERROR (no log file: output is discarded)\n`);
    } else throw error;
    return { exitCode: EXIT.FAILED };
  }
}

/** `log [-f] [-n LINES]`: the daemon's event log. */
export async function logCommand(ctx: ShellContext, args: string[]): Promise<CommandOutcome> {
  const { follow, lines, rest } = parseFollowArgs("log", args);
  if (rest.length > 0) throw new UsageError(`log: unexpected argument ${rest[0]}`);
  writeLines(toOut(ctx), await ctx.port.logTail(lines));
  if (follow) {
    using stop = followSignal(ctx);
    await pump(await ctx.port.logFollow(stop.signal), stop.signal, (line) => {
      writeLines(toOut(ctx), line);
    });
  }
  return { exitCode: EXIT.OK };
}

// One reader of our stdin for the whole process: a second `getReader()` on
// Deno.stdin.readable would throw, and unread typed-ahead lines must survive.
let stdinLines: LineSource | undefined;

/**
 * `attach name`: streams the process's stdout and stderr live and sends each
 * typed line (plus "\n") to its stdin, until Ctrl-C or end of input. The
 * process keeps running after we detach.
 */
export async function attachCommand(ctx: ShellContext, args: string[]): Promise<CommandOutcome> {
  const [name, ...extra] = args;
  if (name === undefined) throw new UsageError("attach requires a process name");
  if (extra.length > 0) throw new UsageError("attach takes exactly one process name");
  let infos;
  try {
    infos = await ctx.port.status([name]);
  } catch (error) {
    if (!hasCode(error, "BAD_NAME")) throw error;
    ctx.output.out(`${errorResultLine(name, "BAD_NAME", "")}\n`);
    return { exitCode: EXIT.FAILED };
  }
  const [info, ...others] = infos;
  if (info === undefined) throw new UsageError(`no process named ${name}`);
  if (others.length > 0) {
    ctx.output.out(`${severalInstancesMessage(name, infos.map((p) => p.name))}\n`);
    return { exitCode: EXIT.FAILED };
  }
  if (info.pid === null) {
    ctx.output.err("ERROR: process not running\n");
    return { exitCode: EXIT.FAILED };
  }
  const target = info.name;
  using interrupt = followSignal(ctx);
  // Aborted on Ctrl-C, or by us when the input ends.
  const detach = new AbortController();
  const stop = AbortSignal.any([interrupt.signal, detach.signal]);
  const input = ctx.input ?? (stdinLines ??= new StreamLineSource(Deno.stdin.readable));
  // The banner comes once both streams are live, so what the process says
  // from then on (the answer to a line typed at once) is never missed.
  const opened: Promise<void>[] = [];
  let showBanner = (): void => {};
  const bannerShown = new Promise<void>((resolve) => (showBanner = resolve));

  const relay = async (stream: "stdout" | "stderr", write: (text: string) => void) => {
    let live = (): void => {};
    opened.push(new Promise((resolve) => (live = resolve)));
    const writer = byteWriter(write);
    let iterator: AsyncIterator<Uint8Array> | undefined;
    try {
      const followed = await raceAbort(ctx.port.follow(target, stream, stop), stop);
      iterator = followed?.[Symbol.asyncIterator]();
      // The first item (an empty chunk from a real port) says the stream is live.
      const first = iterator === undefined ? null : await raceAbort(iterator.next(), stop);
      live();
      await bannerShown;
      // A prompt written before we attached still waits for its answer: show it.
      const last = await ctx.port.tail(target, stream, 1).catch(() => "");
      if (!last.endsWith("\n")) writer.text(last);
      if (iterator === undefined || first === null || first.done) return;
      writer.chunk(first.value);
      for (;;) {
        const result = await raceAbort(iterator.next(), stop);
        if (result === null || result.done) return;
        writer.chunk(result.value);
      }
    } catch (error) {
      live();
      await bannerShown;
      // A discarded stream (NO_FILE) cannot be shown; the other one and the
      // input still work, so say it once and carry on.
      const why = hasCode(error, "NO_FILE") ? "output is discarded" : String(error);
      ctx.output.err(`${target}: ${stream} not shown (${why})\n`);
    } finally {
      live();
      iterator?.return?.()?.catch(() => {});
      writer.end();
    }
  };
  // Combined output is one stream: following stderr too would show it twice.
  const combined = info.stdout !== null && info.stdout === info.stderr;
  const relays = Promise.all([
    relay("stdout", toOut(ctx)),
    combined ? Promise.resolve() : relay("stderr", toErr(ctx)),
  ]);
  // A port that never says its stream is live must not keep the banner back forever.
  let fallback: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all(opened),
    new Promise((resolve) => (fallback = setTimeout(resolve, LIVE_WAIT_MS))),
  ]);
  clearTimeout(fallback);
  ctx.output.out(`==> attached to ${target}; Ctrl-C detaches <==\n`);
  showBanner();

  const encoder = new TextEncoder();
  for (;;) {
    const line = await input.next(stop);
    if (line === null) break;
    try {
      await ctx.port.sendStdin(target, encoder.encode(`${line}\n`));
    } catch (error) {
      // It may have exited and be restarting: stay attached, say so.
      if (!hasCode(error, "NOT_RUNNING")) throw error;
      ctx.output.err("ERROR: process not running\n");
    }
  }
  detach.abort();
  await relays;
  ctx.output.out(`==> detached from ${target} <==\n`);
  return { exitCode: EXIT.OK };
}
