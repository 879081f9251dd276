/**
 * `taskmaster check -c FILE`: validate only, print every error, exit 0 or 2.
 *
 * @module
 */

import { loadConfig } from "../config/load.ts";
import { formatConfigIssue } from "../config/validate.ts";

const encoder = new TextEncoder();

/** Validates `path`; resolves with the exit code. */
export async function checkConfig(path: string): Promise<number> {
  const result = await loadConfig(path);
  if (result.ok) {
    const count = result.config.programs.size;
    Deno.stdout.writeSync(
      encoder.encode(`${result.config.file}: valid (${count} program${count === 1 ? "" : "s"})\n`),
    );
    return 0;
  }
  const lines = result.issues.map(formatConfigIssue);
  Deno.stderr.writeSync(encoder.encode(`${lines.join("\n")}\n`));
  Deno.stderr.writeSync(
    encoder.encode(`${lines.length} error${lines.length === 1 ? "" : "s"} in ${path}\n`),
  );
  return 2;
}
