/**
 * Command lines in the config (`cmd`, an `exec` probe): a string split like a
 * POSIX shell splits words (no expansion), or a list of arguments.
 *
 * @module
 */

import { join as shellJoin, split as shellSplit } from "shlex";
import type { YNode } from "./parse.ts";
import * as v from "./values.ts";

/** A command string split like a POSIX shell (no expansion), or a list of arguments. */
export function parseCommand(
  node: YNode,
  report: v.Report,
): { cmd: string; argv: string[] } | undefined {
  if (node.kind === "scalar" && typeof node.value === "string") {
    let argv: string[];
    try {
      argv = shellSplit(node.value);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      const plain = /quot/i.test(why)
        ? "a quote is not closed"
        : /escap/i.test(why)
        ? "it ends with a lone backslash"
        : why;
      report(`cannot split the command into words: ${plain}`);
      return undefined;
    }
    if (argv.length === 0) {
      report(`expected a non-empty command, got ${v.describe(node)}`);
      return undefined;
    }
    return { cmd: node.value, argv };
  }
  if (node.kind === "seq" && node.items.length > 0) {
    const argv: string[] = [];
    for (const item of node.items) {
      // Numbers are fine as arguments (`[sleep, 100]`) and keep their written form.
      if (item.kind === "scalar" && typeof item.value === "string") argv.push(item.value);
      else if (item.kind === "scalar" && typeof item.value === "number") argv.push(item.source);
      else report(`expected each argument to be a string, got ${v.describe(item)}`, item.pos);
    }
    if (argv.length !== node.items.length) return undefined;
    if (argv[0] === "") {
      report(`the program to run must not be empty`, node.items[0]?.pos);
      return undefined;
    }
    return { cmd: shellJoin(argv), argv };
  }
  report(`expected a command string or a non-empty list of arguments, got ${v.describe(node)}`);
  return undefined;
}
