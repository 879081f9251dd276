/**
 * The glob of supervisord's `[include] files=`: `*`, `?` and `[…]` (with
 * `[!…]`) in any path segment, hidden entries only when the pattern names
 * them, files only at the end, results sorted (Python's glob, as supervisor
 * calls it).
 *
 * @module
 */

import { join } from "node:path";

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
      const re = globSegment(part);
      try {
        for await (const entry of Deno.readDir(dir)) {
          if (entry.name.startsWith(".") && !part.startsWith(".")) continue;
          if (!re.test(entry.name)) continue;
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

/** One path segment's pattern as an anchored RegExp (fnmatch's translation). */
function globSegment(part: string): RegExp {
  let re = "";
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = part.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        const body = part.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\");
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
