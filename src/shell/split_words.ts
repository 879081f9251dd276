/**
 * Splits a typed command line into words the way Python's `shlex.split`
 * (POSIX mode, which supervisorctl uses) does: whitespace separates words,
 * single quotes are literal, double quotes allow `\"` and `\\`, and a
 * backslash outside quotes escapes the next character. No expansion.
 * Written here instead of importing npm `shlex` so that the shell's import
 * graph stays free of npm packages (`ctl` start-up time is benchmarked).
 *
 * @module
 */

/** An unterminated quote or a trailing backslash. */
export class SplitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SplitError";
  }
}

/** Characters a backslash escapes inside double quotes (POSIX sh). */
const DQUOTE_ESCAPES = new Set(['"', "\\", "$", "`"]);

/**
 * Words of `line`. Throws {@link SplitError} on `No closing quotation` or
 * `No escaped character`, as shlex does.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  // A word exists once any of its characters (or an empty `""`) was seen.
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new SplitError("No closing quotation");
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new SplitError("No closing quotation");
        const d = line[i]!;
        if (d === '"') break;
        const next = line[i + 1];
        if (d === "\\" && next !== undefined && DQUOTE_ESCAPES.has(next)) {
          word += next;
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (c === "\\") {
      const next = line[i + 1];
      if (next === undefined) throw new SplitError("No escaped character");
      word += next;
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
