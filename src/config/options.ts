/**
 * Reading a mapping of options: unknown keys (with a suggestion) and keys
 * written twice are reported.
 *
 * @module
 */

import type { IssueList } from "./issues.ts";
import type { YEntry, YNode } from "./parse.ts";
import { didYouMean } from "./suggest.ts";

/**
 * Reads a mapping's entries into a map by key, reporting unknown keys (with a suggestion)
 * and keys written twice. `keyPrefix` goes before key names in issues (`taskmaster.`).
 */
export function readOptions(
  node: YNode & { kind: "map" },
  known: readonly string[],
  issues: IssueList,
  program: string | null,
  keyPrefix = "",
): Map<string, YEntry> {
  const options = new Map<string, YEntry>();
  for (const e of node.entries) {
    if (!known.includes(e.key)) {
      const hint = didYouMean(e.key, known);
      issues.add(e.keyPos, program, keyPrefix + e.key, `unknown key "${e.key}"${hint}`);
    } else if (options.has(e.key)) {
      const first = options.get(e.key)?.keyPos.line;
      issues.add(
        e.keyPos,
        program,
        keyPrefix + e.key,
        `duplicate key (first set on line ${first})`,
      );
    } else {
      options.set(e.key, e);
    }
  }
  return options;
}
