/**
 * supervisord's INI dialect, read as Python's `RawConfigParser` reads it
 * with the options supervisor 4.2.5 passes (`inline_comment_prefixes=(';',
 * '#')`, `strict=False`): `key = value` or `key: value`, keys lowercased,
 * indented lines continue the previous value, whole-line comments start with
 * `;` or `#`, inline comments need whitespace before them, and a section
 * written twice is merged. Every value remembers its file and line so the
 * importer can name them in messages.
 *
 * @module
 */

/** One `key = value`, with where it was written. */
export interface IniValue {
  readonly value: string;
  readonly file: string;
  readonly line: number;
}

/** One `[section]`, options in file order. */
export interface IniSection {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly options: Map<string, IniValue>;
}

/** A syntax error, with its place. */
export class IniError extends Error {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = "IniError";
    this.file = file;
    this.line = line;
  }
}

const SECTION = /^\[([^\]]+)\]/;
const OPTION = /^([^=:\s][^=:]*?)\s*[=:]\s*(.*)$/;

/**
 * Parses `text` (from `file`) into `into` (sections by name, merged like
 * strict=False does), and returns the names of the sections it added.
 */
export function parseIni(
  text: string,
  file: string,
  into: Map<string, IniSection> = new Map(),
): string[] {
  const added: string[] = [];
  let section: IniSection | null = null;
  let last: { key: string; lines: string[]; line: number } | null = null;
  let lastIndent = 0;
  const flush = () => {
    if (section === null || last === null) return;
    // configparser drops trailing empty lines of a multi-line value.
    while (last.lines.length > 1 && last.lines[last.lines.length - 1] === "") last.lines.pop();
    section.options.set(last.key, { value: last.lines.join("\n"), file, line: last.line });
    last = null;
  };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const stripped = raw.trim();
    if (stripped.startsWith("#") || stripped.startsWith(";")) return;
    const value = stripInlineComment(raw).trimEnd();
    const indent = raw.length - raw.trimStart().length;
    if (value.trim() === "") {
      // An empty line inside a value is kept (empty_lines_in_values=True).
      if (last !== null) last.lines.push("");
      return;
    }
    if (last !== null && indent > lastIndent) {
      last.lines.push(value.trim());
      return;
    }
    flush();
    const header = SECTION.exec(value.trim());
    if (header !== null && indent === 0) {
      const name = header[1]!;
      const existing = into.get(name);
      if (existing !== undefined) {
        section = existing;
      } else {
        section = { name, file, line: lineNo, options: new Map() };
        into.set(name, section);
        added.push(name);
      }
      return;
    }
    if (section === null) {
      throw new IniError(file, lineNo, `file contains no section headers: ${JSON.stringify(raw)}`);
    }
    const option = OPTION.exec(value.trim());
    if (option === null) {
      throw new IniError(
        file,
        lineNo,
        `cannot parse ${JSON.stringify(raw)} (expected key = value)`,
      );
    }
    lastIndent = indent;
    last = { key: option[1]!.trim().toLowerCase(), lines: [option[2]!.trim()], line: lineNo };
  });
  flush();
  return added;
}

/** Cuts `; comment` / `# comment` when preceded by whitespace (Python 3 configparser). */
function stripInlineComment(line: string): string {
  for (let i = 1; i < line.length; i++) {
    const c = line[i];
    if ((c === ";" || c === "#") && /\s/.test(line[i - 1]!)) return line.slice(0, i);
  }
  return line;
}
