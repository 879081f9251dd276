/**
 * The coercers of option values only programs have: `autorestart`,
 * `exitcodes`, `umask`, `env` and `flush_partial_after`. Same contract as
 * values.ts: YAML node in, typed value out, or a one-line message through
 * `report` and `undefined`.
 *
 * @module
 */

import type { YNode } from "./parse.ts";
import { didYouMean } from "./suggest.ts";
import type { AutoRestart } from "./types.ts";
import { describe, got, type Report } from "./values.ts";

/** Longest `flush_partial_after`: holding output back longer defeats its purpose. */
export const MAX_FLUSH_DELAY = 10;

/**
 * A short delay in seconds, 0 to {@link MAX_FLUSH_DELAY}: a number (`0.2`) or a
 * string with a unit (`200ms`, `0.2s`).
 */
export function flushDelay(node: YNode, report: Report): number | undefined {
  const v = node.kind === "scalar" ? node.value : undefined;
  let seconds: number | undefined;
  if (typeof v === "number") seconds = v;
  else if (typeof v === "string") {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$/.exec(v);
    if (match) seconds = Number(match[1]) / (match[2] === "ms" ? 1000 : 1);
  }
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    report(`expected a number of seconds >= 0 (like 0.2) or a duration like "200ms", ${got(node)}`);
    return undefined;
  }
  if (seconds > MAX_FLUSH_DELAY) {
    report(
      `expected at most ${MAX_FLUSH_DELAY} seconds, got ${
        describe(node)
      } (for milliseconds write "${describe(node).replace(/"/g, "")}ms")`,
    );
    return undefined;
  }
  return seconds;
}

/**
 * A umask, always read as the octal digits written: 022, "022", 0o22 and 22 all give 0o022.
 * The source text is used because YAML 1.2 reads a bare 022 as the decimal 22.
 * `null` means inherit.
 */
export function umask(node: YNode, report: Report): number | null | undefined {
  if (node.kind === "scalar" && node.value === null) return null;
  const written = node.kind === "scalar" && typeof node.value !== "boolean"
    ? node.source.trim()
    : undefined;
  const digits = written?.replace(/^0o/i, "");
  if (written !== undefined && digits !== undefined && /^\d+$/.test(digits)) {
    if (/[89]/.test(digits)) {
      report(`invalid umask ${describe(node)}: octal digits are 0-7`);
      return undefined;
    }
    const n = parseInt(digits, 8);
    if (n > 0o777) {
      report(`invalid umask ${describe(node)}: at most 777`);
      return undefined;
    }
    return n;
  }
  report(`expected an octal umask such as 022, ${got(node)}`);
  return undefined;
}

/** `always` | `never` | `unexpected`; `true`/`false` as supervisord reads them. */
export function autorestart(node: YNode, report: Report): AutoRestart | undefined {
  const v = node.kind === "scalar" ? node.value : undefined;
  if (v === true) return "always";
  if (v === false) return "never";
  if (typeof v === "string") {
    const lower = v.trim().toLowerCase();
    if (lower === "always" || lower === "never" || lower === "unexpected") return lower;
  }
  const hint = typeof v === "string" ? didYouMean(v, ["always", "never", "unexpected"]) : "";
  report(`expected "always", "never" or "unexpected", ${got(node)}${hint}`);
  return undefined;
}

/** One exit code or a list of them, each 0..255; duplicates dropped, order kept. */
export function exitcodes(node: YNode, report: Report): number[] | undefined {
  const items = node.kind === "seq" ? node.items : [node];
  const codes: number[] = [];
  let ok = true;
  for (const item of items) {
    const v = item.kind === "scalar" ? item.value : undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 255) {
      report(`expected an exit code from 0 to 255, ${got(item)}`, item.pos);
      ok = false;
    } else if (!codes.includes(v)) {
      codes.push(v);
    }
  }
  return ok ? codes : undefined;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A mapping of environment variables. Values may be strings, numbers or booleans and are
 * stringified; numbers keep their written form (`PORT: 0080` gives "0080", not "80").
 */
export function env(node: YNode, report: Report): Record<string, string> | undefined {
  if (node.kind === "scalar" && node.value === null) return {};
  if (node.kind !== "map") {
    report(`expected a mapping of NAME: value, ${got(node)}`);
    return undefined;
  }
  const out: Record<string, string> = {};
  let ok = true;
  const seen = new Set<string>();
  for (const e of node.entries) {
    if (!ENV_NAME.test(e.key)) {
      report(
        `invalid environment variable name ${
          JSON.stringify(e.key)
        }: use letters, digits and "_", not starting with a digit`,
        e.keyPos,
      );
      ok = false;
      continue;
    }
    if (seen.has(e.key) && !e.merged) {
      report(`duplicate environment variable "${e.key}"`, e.keyPos);
      ok = false;
      continue;
    }
    seen.add(e.key);
    const v = e.value;
    const value = v.kind !== "scalar" || v.value === null
      ? undefined
      : typeof v.value === "string"
      ? v.value
      : typeof v.value === "number"
      ? v.source
      : String(v.value);
    if (value === undefined) {
      report(
        `environment variable "${e.key}": expected a string, number or boolean, got ${
          describe(v)
        } (write "" for an empty value)`,
        v.pos,
      );
      ok = false;
    } else if (value.includes("\0")) {
      report(`environment variable "${e.key}": value contains a NUL character`, v.pos);
      ok = false;
    } else {
      out[e.key] = value;
    }
  }
  return ok ? out : undefined;
}
