/**
 * Reading a config file: file system, YAML, validation. Bad input of any kind comes back
 * as issues; nothing here throws for it.
 *
 * @module
 */

import { resolve } from "node:path";
import { systemAccountLookup } from "./accounts.ts";
import { parseYaml } from "./parse.ts";
import type { Account, TaskmasterConfig } from "./types.ts";
import { type ConfigEnv, type ConfigIssue, validateConfig } from "./validate.ts";

/** A valid config, or every issue found in the file. */
export type LoadResult = { ok: true; config: TaskmasterConfig } | {
  ok: false;
  issues: ConfigIssue[];
};

/** Optional overrides of what {@link loadConfig} asks the machine. */
export interface LoadEnv {
  /** @default Deno.uid() === 0 */
  isRoot?: boolean;
  /** @default a lookup in /etc/passwd, read on first use */
  lookupUser?: (name: string) => Account | undefined;
  /** @default Deno.env.get */
  getEnv?: (name: string) => string | undefined;
  /** @default a stat of the path */
  dirExists?: (path: string) => boolean;
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    // Without --allow-env the variable cannot be read: report it as unset.
    return undefined;
  }
}

/**
 * Reads, parses and validates the config file at `path`. A missing or unreadable file
 * gives one issue naming it.
 */
export async function loadConfig(path: string, env: LoadEnv = {}): Promise<LoadResult> {
  const file = resolve(path);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (err) {
    return {
      ok: false,
      issues: [{
        file,
        line: null,
        column: null,
        program: null,
        key: null,
        message: `cannot read the config file: ${readError(err)}`,
      }],
    };
  }
  const text = decodeUtf8(bytes);
  if (typeof text !== "string") {
    return {
      ok: false,
      issues: [{
        file,
        line: text.line,
        column: text.column,
        program: null,
        key: null,
        message: `the config file is not valid UTF-8: invalid byte 0x${
          text.byte.toString(16).padStart(2, "0")
        } at offset ${text.offset}`,
      }],
    };
  }
  return parseConfigText(text, file, {
    isRoot: env.isRoot ?? runningAsRoot(),
    lookupUser: env.lookupUser ?? systemAccountLookup(),
    getEnv: env.getEnv ?? readEnv,
    dirExists: env.dirExists ?? isDirectory,
  });
}

/** Parses and validates config text as if read from `file`. Pure apart from `env`. */
export function parseConfigText(text: string, file: string, env: ConfigEnv): LoadResult {
  const absFile = resolve(file);
  const parsed = parseYaml(text);
  if (parsed.errors.length > 0) {
    // A broken document is not validated: its partial tree would only add misleading issues.
    return {
      ok: false,
      issues: parsed.errors.map((e) => ({
        file: absFile,
        line: e.pos?.line ?? null,
        column: e.pos?.column ?? null,
        program: null,
        key: null,
        message: `YAML syntax error: ${e.message}`,
      })),
    };
  }
  return validateConfig(parsed.root, absFile, env);
}

/** Where UTF-8 decoding failed: 1-based line and column (in characters), 0-based byte offset. */
export interface Utf8Error {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
  readonly byte: number;
}

/**
 * Decodes UTF-8 strictly: a config with a stray Latin-1 byte is an error at
 * its position, not a U+FFFD silently written into a command or a path.
 */
export function decodeUtf8(bytes: Uint8Array): string | Utf8Error {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // Find the first bad byte: the longest prefix that decodes ends right before it.
    let lo = 0;
    let hi = bytes.length;
    const decodes = (end: number) => {
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, end), { stream: true });
        return true;
      } catch {
        return false;
      }
    };
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (decodes(mid)) lo = mid;
      else hi = mid - 1;
    }
    // With stream: true an incomplete sequence at the end is held back, not refused;
    // the bad byte is the first one not consumed by complete characters.
    const prefix = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes.subarray(0, lo), {
      stream: true,
    });
    const offset = new TextEncoder().encode(prefix).length;
    const lastNewline = prefix.lastIndexOf("\n");
    const line = (prefix.match(/\n/g)?.length ?? 0) + 1;
    const column = [...prefix.slice(lastNewline + 1)].length + 1;
    return { line, column, offset, byte: bytes[offset] ?? 0 };
  }
}

/**
 * False only when the path is certainly missing or not a directory: Deno
 * refuses to stat some system paths (/dev, /proc) without --allow-all, and
 * `stdout: /dev/stdout` must stay valid.
 */
function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch (error) {
    return !(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory);
  }
}

function runningAsRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    // Without --allow-sys we cannot tell; assume not, so `user:` is refused rather than failing later.
    return false;
  }
}

function readError(err: unknown): string {
  if (err instanceof Deno.errors.NotFound) return "no such file";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.IsADirectory) return "it is a directory";
  return err instanceof Error ? err.message : String(err);
}
