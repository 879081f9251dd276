/**
 * Signal names as users type them (`HUP`, `sighup`, `1`) turned into Deno's.
 *
 * @module
 */

const BY_NUMBER: Record<number, Deno.Signal> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  6: "SIGABRT",
  9: "SIGKILL",
  10: "SIGUSR1",
  12: "SIGUSR2",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
  18: "SIGCONT",
  19: "SIGSTOP",
  20: "SIGTSTP",
  28: "SIGWINCH",
};

const NAMES = new Set<string>(Object.values(BY_NUMBER));

/** The Deno signal for `text`, or null when it names none we can send. */
export function parseSignal(text: string): Deno.Signal | null {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return BY_NUMBER[Number(trimmed)] ?? null;
  const upper = trimmed.toUpperCase();
  const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  return NAMES.has(name) ? name as Deno.Signal : null;
}
