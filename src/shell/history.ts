/**
 * The interactive shell's history file: one command per line, oldest
 * first, kept across runs and capped at {@link HISTORY_LIMIT} lines.
 *
 * @module
 */

/** Lines kept in the history file and in readline's memory. */
export const HISTORY_LIMIT = 1000;

/**
 * The history lines, oldest first (at most `limit`). A missing file is an
 * empty history. A file longer than `limit` is rewritten with its last
 * `limit` lines, so appends never make it grow without bound.
 */
export function loadHistory(path: string, limit: number = HISTORY_LIMIT): string[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  if (lines.length <= limit) return lines;
  const kept = lines.slice(-limit);
  Deno.writeTextFileSync(path, kept.map((line) => `${line}\n`).join(""));
  return kept;
}

/** Appends one command line to the history file (created 0600 if missing). */
export function appendHistory(path: string, line: string): void {
  Deno.writeTextFileSync(path, `${line}\n`, { append: true, mode: 0o600 });
}
