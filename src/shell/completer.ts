/**
 * Tab completion for the interactive shell: command names, then process
 * and program names (or streams, signal names, command names) depending on
 * the command. {@link completeLine} is pure; {@link createCompleter} adds
 * the live names from the supervisor, cached briefly so that a burst of Tab
 * presses costs one `status` call.
 *
 * @module
 */

import type { ProcessInfo, SupervisorPort } from "../api/protocol.ts";
import { COMMAND_NAMES } from "./commands.ts";

/** readline's completer result: the candidates, and the text they complete. */
export type Completion = [string[], string];

/** Commands whose arguments are process names (and `all`). */
const TAKES_NAMES = new Set(["start", "stop", "restart", "clear", "status", "pid"]);
/** Signal names offered after `signal`. */
const SIGNALS = ["HUP", "INT", "QUIT", "KILL", "USR1", "USR2", "TERM", "STOP", "CONT"];

/** Instance names plus program names (`web`, `web:0`, `web:1`), sorted, unique. */
export function completionNames(processes: readonly ProcessInfo[]): string[] {
  const names = new Set<string>();
  for (const p of processes) {
    names.add(p.name);
    names.add(p.program);
  }
  return [...names].sort();
}

/** What may follow `words` (the complete words before the one being typed). */
function candidates(words: readonly string[], names: readonly string[]): readonly string[] {
  const [command, ...args] = words;
  if (command === undefined) return COMMAND_NAMES;
  if (TAKES_NAMES.has(command)) {
    if (command === "status") return ["--json", "all", ...names];
    return ["all", ...names];
  }
  switch (command) {
    case "help":
      return args.length === 0 ? COMMAND_NAMES : [];
    case "attach":
    case "why":
      return args.length === 0 ? names : [];
    case "signal":
      return args.length === 0 ? SIGNALS : ["all", ...names];
    case "tail": {
      // Skip options (and -n's value) to count the positional arguments.
      const positional = args.filter((a, i) => !a.startsWith("-") && args[i - 1] !== "-n");
      if (positional.length === 0) return names;
      return positional.length === 1 ? ["stdout", "stderr"] : [];
    }
    default:
      return [];
  }
}

/** True when the completions after `words` include process names. */
export function needsNames(line: string): boolean {
  const words = line.split(/\s+/).filter((w) => w !== "");
  if (!/\s$/.test(line)) words.pop();
  return words.length > 0 && candidates(words, ["\0"]).includes("\0");
}

/**
 * Completes the last word of `line` (readline's completer contract).
 * `names` are the live process and program names.
 */
export function completeLine(line: string, names: readonly string[]): Completion {
  const words = line.split(/\s+/).filter((w) => w !== "");
  // The word under the cursor: empty right after a space.
  const current = /\s$/.test(line) || line === "" ? "" : words.pop() ?? "";
  const hits = candidates(words, names).filter((c) => c.startsWith(current));
  return [hits, current];
}

/**
 * A readline completer backed by `port.status()`, with the names cached for
 * `ttlMs`. If the supervisor cannot answer, the last names known (or none)
 * are used: a Tab press must never print an error into the prompt line.
 */
export function createCompleter(
  port: SupervisorPort,
  options: { ttlMs?: number; now?: () => number } = {},
): (line: string) => Completion | Promise<Completion> {
  const ttlMs = options.ttlMs ?? 1000;
  const now = options.now ?? Date.now;
  let cache: { at: number; names: string[] } | undefined;
  const fetchNames = async (): Promise<string[]> => {
    try {
      cache = { at: now(), names: completionNames(await port.status()) };
    } catch {
      return cache?.names ?? [];
    }
    return cache.names;
  };
  // Answer synchronously whenever possible: a Tab followed at once by Enter
  // must complete before the Enter is read. Names come from the cache (a
  // stale one is refreshed in the background: names change only on reload);
  // only the very first name completion waits for the daemon.
  let refreshing: Promise<string[]> | null = null;
  const refresh = () => (refreshing ??= fetchNames().finally(() => (refreshing = null)));
  return (line) => {
    if (!needsNames(line)) return completeLine(line, []);
    if (cache === undefined) return refresh().then((names) => completeLine(line, names));
    if (now() - cache.at >= ttlMs) refresh();
    return completeLine(line, cache.names);
  };
}
