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
}

/**
 * Reads, parses and validates the config file at `path`. A missing or unreadable file
 * gives one issue naming it.
 */
export async function loadConfig(path: string, env: LoadEnv = {}): Promise<LoadResult> {
  const file = resolve(path);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
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
  return parseConfigText(text, file, {
    isRoot: env.isRoot ?? runningAsRoot(),
    lookupUser: env.lookupUser ?? systemAccountLookup(),
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
  if (err instanceof TypeError) return "it is not valid UTF-8 text";
  return err instanceof Error ? err.message : String(err);
}
