/**
 * `taskmaster check -c FILE`: validate only, print every error, exit 0 or 2.
 *
 * @module
 */

import { loadConfig } from "../config/load.ts";
import { formatIssueReport } from "../config/issues.ts";
import { denoOutput } from "../util/text_output.ts";

/** Validates `path`; resolves with the exit code. */
export async function checkConfig(path: string): Promise<number> {
  const result = await loadConfig(path);
  if (result.ok) {
    const count = result.config.programs.size;
    denoOutput.out(`${result.config.file}: valid (${count} program${count === 1 ? "" : "s"})\n`);
    return 0;
  }
  denoOutput.err(formatIssueReport(result.issues, path));
  return 2;
}
