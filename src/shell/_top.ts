/**
 * `top [name…]`: a live table of CPU %, memory and restarts, redrawn every
 * second until a key is pressed (or Ctrl-C, or the end of piped input).
 * While it runs the daemon samples /proc once a second; when it ends the
 * sampling stops with it (status calls are what keep it going).
 *
 * @module
 */

import type { ProcessInfo } from "../api/protocol.ts";
import type { CommandOutcome, KeyWait, ShellContext } from "./command.ts";
import { EXIT, UsageError } from "./_errors.ts";
import { raceAbort } from "./line_source.ts";
import { formatUptime } from "../util/time_format.ts";

/** Redraw period. */
export const TOP_INTERVAL_MS = 1000;

/** Clears a terminal and homes the cursor. */
const CLEAR = "\x1b[H\x1b[2J";

/** `12.3M`, `1.1G`, `512K`, `0` in powers of 1024. */
export function formatBytes(bytes: number): string {
  if (bytes <= 0) return "0";
  const units = ["B", "K", "M", "G", "T"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value}B` : `${value.toFixed(1)}${units[unit]}`;
}

/** One frame of `top`: a title line, a header and one line per instance. */
export function formatTopTable(infos: readonly ProcessInfo[], now: Date): string {
  const width = Math.max(4, ...infos.map((p) => p.name.length)) + 2;
  const header = `${"NAME".padEnd(width)}${"STATE".padEnd(10)}${"PID".padStart(8)}${
    "CPU%".padStart(8)
  }${"MEM".padStart(9)}${"RESTARTS".padStart(10)}  UPTIME`;
  const rows = infos.map((p) =>
    `${p.name.padEnd(width)}${p.state.padEnd(10)}${String(p.pid ?? "-").padStart(8)}${
      p.cpu_percent.toFixed(1).padStart(8)
    }${formatBytes(p.rss_bytes).padStart(9)}${String(p.restarts).padStart(10)}  ${
      p.uptime === null ? "-" : formatUptime(p.uptime)
    }`
  );
  const time = now.toTimeString().slice(0, 8);
  const cpu = infos.reduce((sum, p) => sum + p.cpu_percent, 0);
  const rss = infos.reduce((sum, p) => sum + p.rss_bytes, 0);
  const title = `taskmaster top - ${time} - ${infos.length} processes, CPU ${
    cpu.toFixed(1)
  }%, MEM ${formatBytes(rss)} - press any key to quit`;
  return [title, header, ...rows].map((line) => `${line}\n`).join("");
}

export async function topCommand(ctx: ShellContext, args: string[]): Promise<CommandOutcome> {
  const flag = args.find((a) => a.startsWith("-"));
  if (flag !== undefined) throw new UsageError(`top: unknown option ${flag}`);
  const names = args.length > 0 ? args : undefined;
  const done = new AbortController();
  const outer = ctx.signal ?? interruptSignal(done);
  outer.addEventListener("abort", () => done.abort(), { once: true });
  const key = (ctx.keys ?? keyFromInput(ctx))(done.signal).then(() => done.abort());
  const terminal = ctx.terminal ?? false;
  try {
    // At least one frame, even when the input has already ended (`ctl top </dev/null`).
    do {
      const infos = await ctx.port.status(names);
      ctx.output.out((terminal ? CLEAR : "") + formatTopTable(infos, new Date()));
      await raceAbort(
        new Promise((resolve) => setTimeout(resolve, TOP_INTERVAL_MS)),
        done.signal,
      );
    } while (!done.signal.aborted);
  } finally {
    done.abort();
    await key.catch(() => {});
  }
  return { exitCode: EXIT.OK };
}

/** A signal aborted by SIGINT, for one-shot `taskmaster ctl top`. */
function interruptSignal(done: AbortController): AbortSignal {
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  Deno.addSignalListener("SIGINT", onInterrupt);
  done.signal.addEventListener(
    "abort",
    () => Deno.removeSignalListener("SIGINT", onInterrupt),
    { once: true },
  );
  return controller.signal;
}

/**
 * Without the REPL's keyboard: the next line of piped shell input, or one
 * key of our own stdin (raw when it is a terminal, any byte or EOF when not).
 */
function keyFromInput(ctx: ShellContext): KeyWait {
  if (ctx.input !== undefined) return (signal) => ctx.input!.next(signal);
  return async (signal) => {
    const raw = Deno.stdin.isTerminal();
    if (raw) Deno.stdin.setRaw(true);
    const reader = Deno.stdin.readable.getReader();
    try {
      await raceAbort(reader.read(), signal);
    } finally {
      reader.releaseLock();
      if (raw) Deno.stdin.setRaw(false);
    }
  };
}
