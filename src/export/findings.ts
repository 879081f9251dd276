/**
 * What an exporter could not carry over to its target: one line per program and key,
 * printed on stderr so the user knows exactly what the generated files lose.
 *
 * @module
 */

/** One setting with no (exact) equivalent in the target engine. */
export interface Finding {
  /** The program it concerns, or null for a daemon-wide setting. */
  readonly program: string | null;
  /** The taskmaster key (`starttime`, `taskmaster.logfile`…). */
  readonly key: string;
  /** What happens to it in the target, in a few words. */
  readonly message: string;
}

/** Collects findings in the order they were made. */
export class Findings {
  readonly list: Finding[] = [];

  add(program: string | null, key: string, message: string): void {
    this.list.push({ program, key, message });
  }
}

/** `program "web": key "umask": …` — the same shape as config errors. */
export function formatFinding(format: string, f: Finding): string {
  const where = f.program === null ? "" : `program "${f.program}": `;
  return `${format}: ${where}key "${f.key}": ${f.message}`;
}

/** One generated file: a name relative to the output directory, and its text. */
export interface ExportFile {
  readonly name: string;
  readonly text: string;
}

/** What an exporter returns. */
export interface ExportResult {
  readonly files: readonly ExportFile[];
  readonly findings: readonly Finding[];
}
