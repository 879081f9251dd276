/**
 * `taskmaster check -c FILE`: validate only, print every error, exit 0 or 2.
 *
 * @module
 */

import { loadConfig } from "../config/load.ts";
import { formatConfigIssue } from "../config/validate.ts";
import { denoOutput } from "../shell/io.ts";

/** Validates `path`; resolves with the exit code. */
export async function checkConfig(path: string): Promise<number> {
  const result = await loadConfig(path);
  if (result.ok) {
    const count = result.config.programs.size;
    denoOutput.out(`${result.config.file}: valid (${count} program${count === 1 ? "" : "s"})\n`);
    return 0;
  }
  const lines = result.issues.map(formatConfigIssue);
  denoOutput.err(`${lines.join("\n")}\n`);
  denoOutput.err(`${lines.length} error${lines.length === 1 ? "" : "s"} in ${path}\n`);
  return 2;
}
