/**
 * "Did you mean …?" for misspelt keys and values.
 *
 * @module
 */

/**
 * Names other tools use for taskmaster's keys (mostly supervisord's, plus a few from
 * systemd/docker habits), so a ported config gets pointed at the right key even though
 * the edit distance is large.
 */
export const ALIASES: Readonly<Record<string, string>> = {
  command: "cmd",
  startsecs: "starttime",
  stopwaitsecs: "stoptime",
  directory: "workingdir",
  environment: "env",
  stdout_logfile: "stdout",
  stderr_logfile: "stderr",
  stdout_logfile_maxbytes: "stdout_maxbytes",
  stderr_logfile_maxbytes: "stderr_maxbytes",
  stdout_logfile_backups: "stdout_backups",
  stderr_logfile_backups: "stderr_backups",
  cwd: "workingdir",
  workdir: "workingdir",
  working_dir: "workingdir",
  instances: "numprocs",
  program: "programs",
  supervisord: "taskmaster",
};

/**
 * Edit distance between two strings: insertions, deletions, substitutions and swaps of two
 * neighbouring letters each cost 1 (optimal string alignment), so "TREM" is 1 from "TERM".
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from(
    { length: a.length + 1 },
    (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] ?? [];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The known word closest to `word`, or undefined when nothing is close enough.
 * Case is ignored; a known alias maps to its taskmaster name; otherwise the distance
 * must be at most 2 (at most 1 for words of 4 letters or fewer, so `env` does not suggest `cmd`).
 */
export function suggest(word: string, known: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const renamed = ALIASES[lower];
  if (renamed !== undefined && known.includes(renamed)) return renamed;
  let best: string | undefined;
  let bestDistance = Infinity;
  let bestLength = 0;
  // A misspelt alias ("comand") counts as close to what it is called here.
  const candidates: [spelling: string, answer: string][] = known.map((k) => [k, k]);
  for (const [old, now] of Object.entries(ALIASES)) {
    if (known.includes(now)) candidates.push([old, now]);
  }
  for (const [spelling, answer] of candidates) {
    const d = editDistance(lower, spelling.toLowerCase());
    if (d < bestDistance) {
      best = answer;
      bestDistance = d;
      bestLength = spelling.length;
    }
  }
  const limit = Math.min(word.length, bestLength) <= 4 ? 1 : 2;
  return bestDistance <= limit ? best : undefined;
}

/** `; did you mean "X"?` or "" when there is no good suggestion. */
export function didYouMean(word: string, known: readonly string[]): string {
  const s = suggest(word, known);
  return s === undefined ? "" : `; did you mean "${s}"?`;
}
