/**
 * Command-line options read by `node:util`'s `parseArgs`, with taskmaster's
 * wording of mistakes (`--socket needs a value`, `unknown option: --x`).
 * main.ts and `ctl` read their options with it, so `-s PATH`, `--socket PATH`
 * and `--socket=PATH` mean the same in both; `export` and `startup` take
 * their one word with {@link chooseWord}.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** One option: a string takes a value, a boolean is a switch. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  /** One-letter alias: `-s` for `--socket`. */
  readonly short?: string;
}

/** A mistake in the command line; main.ts prints it with the usage and exits 2. */
export class ArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ArgumentError";
  }
}

/** Options as read: a string option's value, or true for a switch given. */
export type OptionValues<K extends string> = { [key in K]?: string | true };

/** What {@link readOptions} returns. */
export interface ReadOptions<K extends string> {
  readonly values: OptionValues<K>;
  /**
   * With `untilFirstWord`, the arguments from the first one that is not an
   * option of ours (a command and its own flags: `tail -f web`); else empty.
   */
  readonly rest: string[];
}

/**
 * Reads `args` against `options`. A string option needs a non-empty value,
 * given as the next argument or after `=`; a switch takes none. Throws
 * {@link ArgumentError} for an unknown option or a missing value. Without
 * `untilFirstWord` every argument must be an option; with it, reading stops
 * at the first argument that is not one (the rest belongs to a command).
 */
export function readOptions<K extends string>(
  args: readonly string[],
  options: Readonly<Record<K, OptionSpec>>,
  { untilFirstWord = false }: { untilFirstWord?: boolean } = {},
): ReadOptions<K> {
  // Non-strict, so that we word the errors and decide where options stop.
  const { tokens } = parseArgs({
    args: [...args],
    options: options as Record<string, OptionSpec>,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values: OptionValues<K> = {};
  for (const token of tokens) {
    if (token.kind === "option-terminator") {
      if (untilFirstWord) return { values, rest: args.slice(token.index + 1) };
      throw new ArgumentError(`unknown option: --`);
    }
    if (token.kind === "positional" || !Object.hasOwn(options, token.name)) {
      if (untilFirstWord) return { values, rest: args.slice(token.index) };
      throw new ArgumentError(`unknown option: ${args[token.index]}`);
    }
    const name = token.name as K;
    if (options[name].type === "boolean") {
      if (token.inlineValue) throw new ArgumentError(`${token.rawName} takes no value`);
      values[name] = true;
    } else if (token.value === undefined || token.value === "") {
      throw new ArgumentError(`${token.rawName} needs a value`);
    } else {
      values[name] = token.value;
    }
  }
  return { values, rest: [] };
}

/** A string option's value (undefined when not given). */
export function stringOption(value: string | true | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/**
 * The one word a subcommand takes (`export FORMAT`, `startup SYSTEM`) among
 * `choices`, or the mistake in words: `which format? a, b`, `unknown format
 * "x": use a, b`, `unexpected argument "y"`.
 */
export function chooseWord<W extends string>(
  positionals: readonly string[],
  what: string,
  choices: readonly W[],
): { word: W } | { mistake: string } {
  const [word, extra] = positionals;
  const list = choices.join(", ");
  if (word === undefined) return { mistake: `which ${what}? ${list}` };
  if (!(choices as readonly string[]).includes(word)) {
    return { mistake: `unknown ${what} "${word}": use ${list}` };
  }
  if (extra !== undefined) return { mistake: `unexpected argument "${extra}"` };
  return { word: word as W };
}
