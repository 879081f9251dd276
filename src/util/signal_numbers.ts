/**
 * Linux's signal numbers and names (x86-64 and aarch64 agree on 1–31).
 *
 * @module
 */

/** Linux signal numbers: `signal 15`, and a wait status's terminating signal. */
export const SIGNAL_NAMES: Readonly<Record<number, Deno.Signal>> = {
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

const NUMBERS: ReadonlyMap<string, number> = new Map(
  Object.entries(SIGNAL_NAMES).map(([number, name]) => [name, Number(number)]),
);

/** The number of signal `name`; undefined for one not listed here. */
export function signalNumberOf(name: string): number | undefined {
  return NUMBERS.get(name);
}

/** The name of signal `n` (`SIG<n>` for one without a name here, a real-time signal). */
export function signalName(n: number): string {
  return SIGNAL_NAMES[n] ?? `SIG${n}`;
}
