/**
 * The few pieces of Python that supervisord's config values go through:
 * `%`-formatting with a dict (`%(program_name)s`, `%(process_num)02d`), and
 * `dict_of_key_value_pairs` (the `environment=` line, a non-POSIX shlex).
 *
 * @module
 */

const FORMAT = /%(?:%|\(([^)]*)\)([#0\- +]*)(\d*)(?:\.(\d+))?([sdirfxXo]))/g;

/** An expansion name that is not defined, or a format Python would reject. */
export class FormatError extends Error {}

/** `s % expansions` as Python computes it for the conversions supervisord configs use. */
export function pyFormat(s: string, expansions: Readonly<Record<string, string | number>>): string {
  const out = s.replace(FORMAT, (whole, name, flags, width, precision, conv) => {
    if (whole === "%%") return "%";
    if (!(name in expansions)) {
      const available = Object.keys(expansions).sort().join(", ");
      throw new FormatError(
        `%(${name})${conv} cannot be expanded (available names: ${available})`,
      );
    }
    const value = expansions[name]!;
    let text: string;
    if (conv === "s" || conv === "r") {
      text = String(value);
      if (precision !== undefined) text = text.slice(0, Number(precision));
    } else {
      const n = Number(value);
      if (!Number.isFinite(n)) {
        throw new FormatError(`%(${name})${conv} needs a number, got ${JSON.stringify(value)}`);
      }
      text = conv === "x"
        ? Math.trunc(n).toString(16)
        : conv === "X"
        ? Math.trunc(n).toString(16).toUpperCase()
        : conv === "o"
        ? Math.trunc(n).toString(8)
        : conv === "f"
        ? n.toFixed(precision === undefined ? 6 : Number(precision))
        : String(Math.trunc(n));
      if (flags.includes("+") && n >= 0) text = `+${text}`;
    }
    const w = width === "" ? 0 : Number(width);
    if (text.length >= w) return text;
    if (flags.includes("-")) return text.padEnd(w);
    if (flags.includes("0") && conv !== "s" && conv !== "r") {
      const sign = /^[+-]/.test(text) ? text[0]! : "";
      return sign + text.slice(sign.length).padStart(w - sign.length, "0");
    }
    return text.padStart(w);
  });
  // A lone % that is not a conversion: Python raises too.
  const rest = s.replace(FORMAT, "");
  if (rest.includes("%")) {
    throw new FormatError(`badly formatted: a lone "%" in ${JSON.stringify(s)}`);
  }
  return out;
}

const WORD = /[\p{L}\p{N}_/.+\-():]/u;

/**
 * `KEY=val,KEY2="v, 2"` → `{ KEY: "val", KEY2: "v, 2" }`, token for token
 * as supervisor's `dict_of_key_value_pairs` (shlex in non-POSIX mode, quotes
 * stripped from the ends of values).
 */
export function keyValuePairs(arg: string): Record<string, string> {
  const tokens = shlexTokens(arg);
  const out: Record<string, string> = {};
  for (let i = 0; i < tokens.length; i += 4) {
    const [k, eq, v] = tokens.slice(i, i + 3);
    if (k === undefined || eq !== "=" || v === undefined) {
      throw new FormatError(`unexpected end of key/value pairs in value ${JSON.stringify(arg)}`);
    }
    out[k] = v.replace(/^['"]+|['"]+$/g, "");
  }
  return out;
}

function shlexTokens(s: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "#") {
      while (i < s.length && s[i] !== "\n") i++;
    } else if (c === '"' || c === "'") {
      // Non-POSIX shlex: a quoted token keeps its quotes and ends at the closing one.
      const end = s.indexOf(c, i + 1);
      if (end < 0) throw new FormatError(`no closing quotation in ${JSON.stringify(s)}`);
      tokens.push(s.slice(i, end + 1));
      i = end + 1;
    } else if (WORD.test(c)) {
      // Inside a word, quote characters are just characters.
      let j = i;
      while (j < s.length && (WORD.test(s[j]!) || s[j] === '"' || s[j] === "'")) j++;
      tokens.push(s.slice(i, j));
      i = j;
    } else {
      tokens.push(c);
      i++;
    }
  }
  return tokens;
}
