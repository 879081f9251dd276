/**
 * A guard run on config text before the YAML parser sees it: the parser
 * needs seconds, then overflows its stack, on 10^5 levels of nesting that
 * fit in 200 KB, and a config file must never hang or crash the daemon. A
 * plain scan of brackets and dashes finds such text in linear time.
 *
 * @module
 */

/** Deepest nesting accepted; a config needs 5 or 6. */
export const MAX_NESTING = 100;

/**
 * Where flow brackets (`[[[[…`, `{a: {a: …`) or a run of `- - - …` go past
 * {@link MAX_NESTING}, or null. A run of `- ` nests a sequence per dash
 * even on one line. Quoted strings and comments are skipped; brackets
 * inside a block scalar could count, which only matters for more than 100
 * unclosed ones.
 */
export function nestingTooDeep(text: string): { line: number; column: number } | null {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let quote: string | null = null;
  let dashes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\n") {
      line++;
      lineStart = i + 1;
      dashes = 0;
      if (quote === null) continue;
    }
    if (quote !== null) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === " " || c === "\t") continue;
    if (c === "-" && (text[i + 1] === " " || text[i + 1] === "\t")) {
      // `- - - x` nests a sequence per dash, on one line.
      if (++dashes > MAX_NESTING) return { line, column: i - lineStart + 1 };
      i++;
      continue;
    }
    dashes = 0;
    if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf("\n", i);
      i = (end === -1 ? text.length : end) - 1;
    } else if (c === "[" || c === "{") {
      if (++depth > MAX_NESTING) return { line, column: i - lineStart + 1 };
    } else if ((c === "]" || c === "}") && depth > 0) depth--;
  }
  return null;
}
