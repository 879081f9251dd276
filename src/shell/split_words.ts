/**
 * Splits a typed command line into words as Python's `shlex.split` (POSIX
 * mode, which supervisorctl uses) does, with npm `shlex` — the splitter
 * config `cmd:` strings already go through — and supervisorctl's wording
 * of its two errors.
 *
 * @module
 */

import { split } from "shlex";

/** An unterminated quote or a trailing backslash. */
export class SplitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SplitError";
  }
}

/**
 * Words of `line`. Throws {@link SplitError} with Python shlex's
 * `No closing quotation` or `No escaped character`.
 */
export function splitWords(line: string): string[] {
  try {
    return split(line);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/escape/i.test(message)) throw new SplitError("No escaped character");
    if (/quot/i.test(message)) throw new SplitError("No closing quotation");
    throw error;
  }
}
