/**
 * Command-line options as `node:util`'s `parseArgs` reads them (its
 * non-strict token stream, same grammar: `-s PATH`, `-sPATH`, `-qs PATH`,
 * `--socket PATH`, `--socket=PATH`, `--`), with taskmaster's wording of
 * mistakes (`--socket needs a value`, `unknown option: --x`). main.ts and
 * `ctl` read their options with it; `export` and `startup` take their one
 * word with {@link chooseWord}.
 *
 * Why not parseArgs itself: importing `node:util` starts Deno's Node
 * compatibility layer, 30-40 ms of CPU on every start, a fifth of what a
 * `ctl status` costs. The tokenizer below follows parseArgs's own algorithm
 * step by step, and tests/util/cli_args_test.ts checks its tokens against
 * parseArgs's for every combination of a set of tricky arguments.
 *
 * @module
 */

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
  const tokens = tokenize(args, options as Readonly<Record<string, OptionSpec>>);
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

/** One token, as parseArgs's `tokens: true` lists them. */
export type Token =
  | { kind: "positional"; index: number; value: string }
  | { kind: "option-terminator"; index: number }
  | {
    kind: "option";
    name: string;
    rawName: string;
    index: number;
    value: string | undefined;
    inlineValue: boolean | undefined;
  };

/**
 * The tokens of `args`, as parseArgs({strict: false, allowPositionals: true,
 * tokens: true}) gives them: a string option takes the next argument as its
 * value whatever it looks like; a group of shorts (`-qs`) is read as its
 * letters, up to the first that takes a value, which takes the rest.
 */
export function tokenize(
  args: readonly string[],
  options: Readonly<Record<string, OptionSpec>>,
): Token[] {
  const longOf = (short: string) =>
    Object.keys(options).find((name) => options[name]!.short === short) ?? short;
  const takesValue = (name: string) =>
    Object.hasOwn(options, name) && options[name]!.type === "string";
  const tokens: Token[] = [];
  const remaining = [...args];
  let index = -1;
  // Arguments a short group expanded into share the group's index.
  let grouped = 0;
  while (remaining.length > 0) {
    const arg = remaining.shift()!;
    const next = remaining[0];
    if (grouped > 0) grouped--;
    else index++;
    if (arg === "--") {
      tokens.push({ kind: "option-terminator", index });
      for (const value of remaining) tokens.push({ kind: "positional", index: ++index, value });
      break;
    }
    const short = arg.length >= 2 && arg[0] === "-" && arg[1] !== "-";
    // `-s PATH` or `--socket PATH`: a string option takes the next argument.
    const optionTakingNext = (name: string) => {
      const value = takesValue(name) && next !== undefined ? remaining.shift() : undefined;
      tokens.push({
        kind: "option",
        name,
        rawName: arg,
        index,
        value,
        inlineValue: value === undefined ? undefined : false,
      });
      if (value !== undefined) index++;
    };
    if (short && arg.length === 2) {
      optionTakingNext(longOf(arg[1]!));
    } else if (short && !takesValue(longOf(arg[1]!))) {
      // -qs PATH is -q -s PATH; -qsPATH is -q -sPATH.
      const expanded: string[] = [];
      for (let i = 1; i < arg.length; i++) {
        if (!takesValue(longOf(arg[i]!)) || i === arg.length - 1) expanded.push(`-${arg[i]}`);
        else {
          expanded.push(`-${arg.slice(i)}`);
          break;
        }
      }
      remaining.unshift(...expanded);
      grouped = expanded.length;
    } else if (short) {
      tokens.push({
        kind: "option",
        name: longOf(arg[1]!),
        rawName: arg.slice(0, 2),
        index,
        value: arg.slice(2),
        inlineValue: true,
      });
    } else if (arg.length > 2 && arg.startsWith("--") && !arg.includes("=", 3)) {
      optionTakingNext(arg.slice(2));
    } else if (arg.length > 2 && arg.startsWith("--")) {
      const equals = arg.indexOf("=");
      const name = arg.slice(2, equals);
      tokens.push({
        kind: "option",
        name,
        rawName: `--${name}`,
        index,
        value: arg.slice(equals + 1),
        inlineValue: true,
      });
    } else {
      tokens.push({ kind: "positional", index, value: arg });
    }
  }
  return tokens;
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
