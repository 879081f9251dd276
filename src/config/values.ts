/**
 * One coercer per kind of option value: YAML node in, typed value out, or a one-line
 * message through `report` and `undefined`. Messages quote what was written.
 * These are the kinds any section uses (numbers, durations, booleans, strings,
 * paths, sizes, signals, log levels); program_values.ts has those only
 * programs have.
 *
 * @module
 */

import { resolve } from "node:path";
import type { Pos, YNode } from "./parse.ts";
import { STOP_SIGNALS } from "./types.ts";
import { didYouMean } from "./suggest.ts";

/** Receives a problem with the node being read (or with `at`, a part of it). */
export type Report = (message: string, at?: Pos) => void;

/** Linux signal numbers of {@link STOP_SIGNALS}, for `stopsignal: 15`. */
const SIGNAL_NUMBERS: Readonly<Record<number, Deno.Signal>> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  9: "SIGKILL",
  10: "SIGUSR1",
  12: "SIGUSR2",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
  18: "SIGCONT",
  19: "SIGSTOP",
  20: "SIGTSTP",
  28: "SIGWINCH",
};

const SIZE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  B: 1,
  K: 1024,
  KB: 1024,
  M: 1024 ** 2,
  MB: 1024 ** 2,
  G: 1024 ** 3,
  GB: 1024 ** 3,
};

/** How a bad value is quoted in messages: `"two"`, `1.5`, `null`, `a list`. */
export function describe(node: YNode): string {
  if (node.kind === "map") return "a mapping";
  if (node.kind === "seq") return "a list";
  if (node.value === null) return node.source === "" ? "nothing" : node.source;
  if (typeof node.value === "string") {
    const s = node.value.length > 60 ? `${node.value.slice(0, 57)}...` : node.value;
    return JSON.stringify(s);
  }
  return node.source !== "" ? node.source : String(node.value);
}

/** describe() plus a hint when a number was written in quotes. */
export function got(node: YNode): string {
  const hint = node.kind === "scalar" && typeof node.value === "string" &&
      /^\s*-?\d+(\.\d+)?\s*$/.test(node.value)
    ? " (a string: remove the quotes)"
    : "";
  return `got ${describe(node)}${hint}`;
}

/** An integer within [min, max]. */
export function integer(
  node: YNode,
  report: Report,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const v = node.kind === "scalar" ? node.value : undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    report(`expected an integer >= ${min}, ${got(node)}`);
    return undefined;
  }
  if (v > max) {
    report(`expected an integer <= ${max}, ${got(node)}`);
    return undefined;
  }
  return v;
}

/** Any integer (priority may be negative). */
export function anyInteger(node: YNode, report: Report): number | undefined {
  const v = node.kind === "scalar" ? node.value : undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v)) {
    report(`expected an integer, ${got(node)}`);
    return undefined;
  }
  return v;
}

/**
 * The longest duration a config may ask for: the runtime's timers hold at
 * most 2^31-1 ms (about 24.8 days) and fire at once beyond it, so a
 * `starttime: 3000000` would count as started after a millisecond.
 */
export const MAX_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** A finite number of seconds from 0 to {@link MAX_SECONDS}; fractions allowed. */
export function seconds(node: YNode, report: Report): number | undefined {
  const v = node.kind === "scalar" ? node.value : undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    report(`expected a number of seconds >= 0, ${got(node)}`);
    return undefined;
  }
  if (v > MAX_SECONDS) {
    report(`expected a number of seconds <= ${MAX_SECONDS} (the maximum), ${got(node)}`);
    return undefined;
  }
  return v;
}

/** `true` or `false` (YAML 1.2: `yes`/`on` are strings, and rejected). */
export function boolean(node: YNode, report: Report): boolean | undefined {
  const v = node.kind === "scalar" ? node.value : undefined;
  if (typeof v !== "boolean") {
    report(`expected true or false, ${got(node)}`);
    return undefined;
  }
  return v;
}

/** A non-empty string. */
export function text(node: YNode, report: Report): string | undefined {
  const v = node.kind === "scalar" ? node.value : undefined;
  if (typeof v !== "string" || v.trim() === "") {
    report(`expected a non-empty string, ${got(node)}`);
    return undefined;
  }
  return v;
}

/** A path, made absolute against `baseDir`. */
export function path(node: YNode, report: Report, baseDir: string): string | undefined {
  const v = text(node, report);
  return v === undefined ? undefined : resolve(baseDir, v);
}

/** A byte count: an integer >= 0 or a size string like supervisord's ("50MB", "512KB", "1GB"). */
export function byteSize(node: YNode, report: Report): number | undefined {
  if (node.kind === "scalar") {
    if (typeof node.value === "number" && Number.isSafeInteger(node.value) && node.value >= 0) {
      return node.value;
    }
    if (typeof node.value === "string") {
      const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(node.value);
      const unit = m ? SIZE_UNITS[(m[2] ?? "").toUpperCase()] : undefined;
      if (m && unit !== undefined) {
        const n = Number(m[1]) * unit;
        if (Number.isSafeInteger(n)) return n;
      }
    }
  }
  report(`expected a byte count >= 0 or a size such as "50MB", "512KB" or "1GB", ${got(node)}`);
  return undefined;
}

/**
 * A signal name or number as a {@link Deno.Signal}: "TERM", "SIGTERM", "term" and 15 all
 * give "SIGTERM". Undefined when it is not one of {@link STOP_SIGNALS}.
 */
export function parseSignal(input: string | number): Deno.Signal | undefined {
  if (typeof input === "number") return SIGNAL_NUMBERS[input];
  const trimmed = input.trim();
  if (/^\d+$/.test(trimmed)) return SIGNAL_NUMBERS[Number(trimmed)];
  const upper = trimmed.toUpperCase();
  const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  return (STOP_SIGNALS as readonly string[]).includes(name) ? name as Deno.Signal : undefined;
}

/** A stop signal (see {@link parseSignal}). */
export function signal(node: YNode, report: Report): Deno.Signal | undefined {
  const v = node.kind === "scalar" ? node.value : undefined;
  const parsed = typeof v === "string" || typeof v === "number" ? parseSignal(v) : undefined;
  if (parsed !== undefined) return parsed;
  const short = STOP_SIGNALS.map((s) => s.slice(3));
  const hint = typeof v === "string" ? didYouMean(v.toUpperCase().replace(/^SIG/, ""), short) : "";
  report(`unknown signal ${describe(node)} (expected one of ${short.join(", ")})${hint}`);
  return undefined;
}

/** `debug` | `info` | `warning` | `error` (and `warn` for `warning`), any case. */
export function loglevel(
  node: YNode,
  report: Report,
): "debug" | "info" | "warning" | "error" | undefined {
  const v = node.kind === "scalar" && typeof node.value === "string"
    ? node.value.trim().toLowerCase()
    : undefined;
  if (v === "debug" || v === "info" || v === "warning" || v === "error") return v;
  if (v === "warn") return "warning";
  const hint = v !== undefined ? didYouMean(v, ["debug", "info", "warning", "error"]) : "";
  report(`expected "debug", "info", "warning" or "error", ${got(node)}${hint}`);
  return undefined;
}
