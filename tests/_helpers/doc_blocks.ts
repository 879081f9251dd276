/**
 * The runnable examples of a Markdown document, for the docs test.
 *
 * The convention (also on /work/BOARD.md and in README's Development section):
 * - every fenced block whose info string starts with `sh` is run, command by
 *   command, against a real daemon; write ```sh no-run for a block that must
 *   not be (installs, `make`, commands needing something the test lacks);
 * - a line ending in `\` continues on the next line;
 * - `# …` lines right after a command are its output sample: each must match
 *   the corresponding output line, where a run of digits matches any digits
 *   and `…` matches anything; a lone `#` is an empty line;
 * - a trailing `# … exits N …` comment on a command expects exit status N
 *   (otherwise 0);
 * - a command that follows (`-f`, `curl -N`, `attach`, `/follow`, `/events`)
 *   is stopped after the test has restarted `web:0` and it has been quiet
 *   for a second; its sample is compared with the lines it printed.
 *
 * @module
 */

/** One command of a runnable block. */
export interface DocCommand {
  /** The shell text (continuations joined), as typed. */
  text: string;
  /** 1-based line of the command in the document. */
  line: number;
  /** The expected output lines (without `# `), possibly empty. */
  sample: string[];
  /** The exit status the docs promise. */
  exitCode: number;
}

/** A fenced `sh` block. */
export interface DocBlock {
  /** 1-based line of the opening fence. */
  line: number;
  commands: DocCommand[];
}

/** Every fenced block of `markdown` whose info string starts with `sh` and not `no-run`. */
export function runnableBlocks(markdown: string): DocBlock[] {
  const lines = markdown.split("\n");
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i]!.match(/^```(\S*)(.*)$/);
    if (open === null) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    const close = end === -1 ? lines.length : end;
    const info = `${open[1]} ${open[2]}`.trim().split(/\s+/);
    if (info[0] === "sh" && !info.includes("no-run")) {
      blocks.push({ line: i + 1, commands: commandsOf(lines.slice(i + 1, close), i + 2) });
    }
    i = close;
  }
  return blocks;
}

function commandsOf(body: string[], firstLine: number): DocCommand[] {
  const commands: DocCommand[] = [];
  let current: DocCommand | undefined;
  for (let i = 0; i < body.length; i++) {
    const line = body[i]!;
    if (line.trim() === "") {
      current = undefined;
      continue;
    }
    if (/^#( |$)/.test(line)) {
      current?.sample.push(line.slice(2));
      continue;
    }
    let text = line;
    const start = i;
    while (text.endsWith("\\") && i + 1 < body.length) text = `${text.slice(0, -1)}${body[++i]}`;
    const promised = text.match(/#.*\bexits? (\d+)\b/);
    current = {
      text,
      line: firstLine + start,
      sample: [],
      exitCode: promised === null ? 0 : Number(promised[1]),
    };
    commands.push(current);
  }
  return commands;
}

/** Whether `actual` matches the sample line `expected` (digits and `…` are wildcards). */
export function sampleMatches(expected: string, actual: string): boolean {
  const pattern = expected
    .split("…")
    .map((part) =>
      part
        .split(/\d+/)
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join("\\d+")
    )
    .join(".*");
  return new RegExp(`^${pattern}$`).test(actual);
}
