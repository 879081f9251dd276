/**
 * Signals as supervisord names them on the wire: `signalProcess` takes a
 * number or a name (with or without SIG), and `getAllConfigInfo` reports a
 * stopsignal as its number.
 *
 * @module
 */

/** Linux signal numbers, for `signal 15`. */
const SIGNAL_NAMES: Readonly<Record<number, Deno.Signal>> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  5: "SIGTRAP",
  6: "SIGABRT",
  7: "SIGBUS",
  8: "SIGFPE",
  9: "SIGKILL",
  10: "SIGUSR1",
  11: "SIGSEGV",
  12: "SIGUSR2",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
  16: "SIGSTKFLT",
  17: "SIGCHLD",
  18: "SIGCONT",
  19: "SIGSTOP",
  20: "SIGTSTP",
  21: "SIGTTIN",
  22: "SIGTTOU",
  23: "SIGURG",
  24: "SIGXCPU",
  25: "SIGXFSZ",
  26: "SIGVTALRM",
  27: "SIGPROF",
  28: "SIGWINCH",
  29: "SIGIO",
  30: "SIGPWR",
  31: "SIGSYS",
};

/** supervisor's `signal_number`: a number or a name with or without SIG. */
export function supervisordSignal(value: string): Deno.Signal | undefined {
  const trimmed = value.trim();
  if (/^-?\d+$/.test(trimmed)) return SIGNAL_NAMES[Number(trimmed)];
  const upper = trimmed.toUpperCase();
  const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  // The aliases Python's signal module knows: supervisord accepts them.
  if (name === "SIGIOT") return "SIGABRT";
  if (name === "SIGPOLL") return "SIGIO";
  return Object.values(SIGNAL_NAMES).find((s) => s === name);
}

/** The number of a signal; SIGTERM's for one we do not list (supervisord's default). */
export function signalNumber(signal: Deno.Signal): number {
  const found = Object.entries(SIGNAL_NAMES).find(([, s]) => s === signal);
  return found === undefined ? 15 : Number(found[0]);
}
