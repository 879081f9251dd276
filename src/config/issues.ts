/**
 * Config problems as data, and their one-line rendering.
 *
 * @module
 */

import type { Pos, YNode } from "./parse.ts";
import type { Report } from "./values.ts";

/** One problem found in a configuration file. */
export interface ConfigIssue {
  /** Absolute path of the config file. */
  file: string;
  /** 1-based line of the offending value (of the key for unknown keys), or null if none applies. */
  line: number | null;
  /** 1-based column, or null. */
  column: number | null;
  /** The program concerned, or null for daemon-wide and file-level problems. */
  program: string | null;
  /** The option concerned (`numprocs`, `taskmaster.socket`), or null. */
  key: string | null;
  /** One line, quoting the bad value: `expected an integer >= 1, got "two"`. */
  message: string;
}

/**
 * `/abs/cfg.yaml:4:16: program "web": key "numprocs": expected an integer >= 1, got "two"`;
 * the parts that are null are left out.
 */
export function formatConfigIssue(issue: ConfigIssue): string {
  let where = issue.file;
  if (issue.line !== null) {
    where += `:${issue.line}`;
    if (issue.column !== null) where += `:${issue.column}`;
  }
  const parts = [where];
  if (issue.program !== null) parts.push(`program "${issue.program}"`);
  if (issue.key !== null) parts.push(`key "${issue.key}"`);
  parts.push(issue.message);
  return parts.join(": ");
}

/** Collects issues for one file. */
export class IssueList {
  readonly #file: string;
  readonly #issues: ConfigIssue[] = [];

  constructor(file: string) {
    this.#file = file;
  }

  get count(): number {
    return this.#issues.length;
  }

  add(pos: Pos | null, program: string | null, key: string | null, message: string): void {
    this.#issues.push({
      file: this.#file,
      line: pos?.line ?? null,
      column: pos?.column ?? null,
      program,
      key,
      message,
    });
  }

  /** A {@link Report} that files problems under `program` and `key`, at `node` unless told. */
  reporter(node: YNode, program: string | null, key: string | null): Report {
    return (message, at) => this.add(at ?? node.pos, program, key, message);
  }

  /** All issues in file order; position-less ones (about defaults) last. */
  sorted(): ConfigIssue[] {
    const rank = (i: ConfigIssue) => [i.line ?? Infinity, i.column ?? 0] as const;
    return [...this.#issues].sort((a, b) => {
      const [la, ca] = rank(a);
      const [lb, cb] = rank(b);
      return la === lb ? ca - cb : la - lb;
    });
  }
}

/** Every issue on its own line, then `N errors in PATH`: what `check` and the other commands print. */
export function formatIssueReport(issues: readonly ConfigIssue[], path: string): string {
  const lines = issues.map(formatConfigIssue);
  return `${lines.join("\n")}\n${lines.length} error${lines.length === 1 ? "" : "s"} in ${path}\n`;
}
