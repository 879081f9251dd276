/**
 * The glob of supervisord's `[include] files=`: `*`, `?` and `[…]` (with
 * `[!…]`) in any path segment, hidden entries only when the pattern names
 * them, files only at the end, results sorted (Python's glob, as supervisor
 * calls it).
 *
 * @module
 */

import { join } from "node:path";
import { globMatch } from "../util/glob_match.ts";

/** Files matching a glob pattern (`*`, `?`, `[…]` in any segment), sorted. */
export async function glob(pattern: string): Promise<string[]> {
  const parts = pattern.split("/").filter((p) => p !== "");
  let current = [pattern.startsWith("/") ? "/" : "."];
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    const next: string[] = [];
    for (const dir of current) {
      if (!/[*?[]/.test(part)) {
        const candidate = join(dir, part);
        try {
          const info = await Deno.stat(candidate);
          if (last ? info.isFile : info.isDirectory) next.push(candidate);
        } catch {
          // Not there: no match.
        }
        continue;
      }
      try {
        for await (const entry of Deno.readDir(dir)) {
          if (entry.name.startsWith(".") && !part.startsWith(".")) continue;
          if (!globMatch(part, entry.name)) continue;
          const candidate = join(dir, entry.name);
          const info = await Deno.stat(candidate).catch(() => null);
          if (info !== null && (last ? info.isFile : info.isDirectory)) next.push(candidate);
        }
      } catch {
        // Unreadable directory: no match.
      }
    }
    current = next;
  }
  return current.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
