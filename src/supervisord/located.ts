/**
 * A supervisord setting as the importer reads it: the INI value with its
 * file, line, section and key, expanded the way supervisor expands it
 * (`%(here)s` first, then Python `%`-formatting), and the one error type
 * that stops an import, always naming `file:line: [section] key`.
 *
 * @module
 */

import type { IniValue } from "./ini.ts";
import { FormatError, keyValuePairs, pyFormat } from "./py_values.ts";

/** A problem that stops the import, naming the file, line, section and key. */
export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImportError";
  }
}

/** An INI value and where it was written. */
export interface Located extends IniValue {
  readonly section: string;
  readonly key: string;
}

/** The value of `key` in `[section]`, if set. */
export type Getter = (section: string, key: string) => Located | undefined;

/** The `%(name)s` expansions a section's values see; `extra` adds per-process ones. */
export type ExpansionsFor = (
  section: string,
  extra?: Record<string, string | number>,
) => Record<string, string | number>;

/** Stops the import at `v`. */
export function fail(v: Located, message: string): never {
  throw new ImportError(`${v.file}:${v.line}: [${v.section}] ${v.key}: ${message}`);
}

/** `v`'s value with its expansions done. */
export function expandValue(v: Located, expansions: Record<string, string | number>): string {
  // %(here)s is replaced textually first, as supervisor's expand_here does.
  const text = v.value.replaceAll("%(here)s", String(expansions.here ?? ""));
  try {
    return pyFormat(text, expansions);
  } catch (error) {
    if (error instanceof FormatError) fail(v, error.message);
    throw error;
  }
}

/** An `environment=` value, expanded, as its KEY=value pairs. */
export function envPairs(
  v: Located,
  expansions: Record<string, string | number>,
): Record<string, string> {
  try {
    return keyValuePairs(expandValue(v, expansions));
  } catch (error) {
    if (error instanceof FormatError) fail(v, error.message);
    throw error;
  }
}

/** `text` (read from `v`) as an integer, or the import stops. */
export function intOf(v: Located, text: string): number {
  if (!/^\s*-?\d+\s*$/.test(text)) fail(v, `expected an integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** A YAML scalar that reads back as exactly this string. */
export function yamlString(s: string): string {
  return JSON.stringify(s);
}
