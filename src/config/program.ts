/**
 * Validation of one program's options (`programs.<name>` or one `services:` item) into a
 * fully defaulted {@link ProgramConfig}.
 *
 * @module
 */

import { join as shellJoin, split as shellSplit } from "shlex";
import type { IssueList } from "./issues.ts";
import type { Pos, YEntry, YNode } from "./parse.ts";
import { didYouMean } from "./suggest.ts";
import type { Account, ProgramConfig, StreamConfig, StreamTarget } from "./types.ts";
import * as v from "./values.ts";

/** Every option a program accepts, in documentation order. */
export const PROGRAM_KEYS = [
  "cmd",
  "numprocs",
  "priority",
  "autostart",
  "autorestart",
  "exitcodes",
  "startretries",
  "starttime",
  "stopsignal",
  "stoptime",
  "stdout",
  "stderr",
  "stdout_maxbytes",
  "stdout_backups",
  "stderr_maxbytes",
  "stderr_backups",
  "timestamps",
  "env",
  "workingdir",
  "umask",
  "user",
] as const;

/** Most instances one program may have. */
export const MAX_NUMPROCS = 10000;

/** Program names: no ':' (instances are `prog:0`), no spaces, nothing a shell would mangle. */
const PROGRAM_NAME = /^[A-Za-z0-9_.-]+$/;

/** What validation of a program needs from its surroundings. */
export interface ProgramContext {
  readonly issues: IssueList;
  /** Directory of the config file; relative paths resolve against it. */
  readonly baseDir: string;
  readonly isRoot: boolean;
  readonly lookupUser: (name: string) => Account | undefined;
}

/**
 * Reads a mapping's entries into a map by key, reporting unknown keys (with a suggestion)
 * and keys written twice. `keyPrefix` goes before key names in issues (`taskmaster.`).
 */
export function readOptions(
  node: YNode & { kind: "map" },
  known: readonly string[],
  issues: IssueList,
  program: string | null,
  keyPrefix = "",
): Map<string, YEntry> {
  const options = new Map<string, YEntry>();
  for (const e of node.entries) {
    if (!known.includes(e.key)) {
      const hint = didYouMean(e.key, known);
      issues.add(e.keyPos, program, keyPrefix + e.key, `unknown key "${e.key}"${hint}`);
    } else if (options.has(e.key)) {
      const first = options.get(e.key)?.keyPos.line;
      issues.add(
        e.keyPos,
        program,
        keyPrefix + e.key,
        `duplicate key (first set on line ${first})`,
      );
    } else {
      options.set(e.key, e);
    }
  }
  return options;
}

/** Reports a bad program name; true when the name is usable. */
export function checkProgramName(name: string, pos: Pos, issues: IssueList): boolean {
  if (name === "") {
    issues.add(pos, null, null, "program name must not be empty");
    return false;
  }
  if (!PROGRAM_NAME.test(name)) {
    issues.add(
      pos,
      null,
      null,
      `invalid program name ${
        JSON.stringify(name)
      }: use only letters, digits, "_", "." and "-" (":" separates instance numbers)`,
    );
    return false;
  }
  if (name === "all") {
    issues.add(
      pos,
      null,
      null,
      `program name "all" is reserved: commands use it for every program`,
    );
    return false;
  }
  return true;
}

/**
 * Validates one program. `node` is its option mapping (or whatever was written instead);
 * `namePos` is where its name was written, where a missing `cmd` is reported.
 * `extraKeys` are allowed and ignored (`name` in a `services:` item).
 * Returns undefined when any issue was found.
 */
export function validateProgram(
  name: string,
  namePos: Pos,
  node: YNode,
  ctx: ProgramContext,
  extraKeys: readonly string[] = [],
): ProgramConfig | undefined {
  const { issues } = ctx;
  const before = issues.count;
  if (node.kind === "scalar" && node.value === null) {
    issues.add(namePos, name, "cmd", `missing required key "cmd"`);
    return undefined;
  }
  if (node.kind !== "map") {
    issues.add(node.pos, name, null, `expected a mapping of options, got ${v.describe(node)}`);
    return undefined;
  }
  const options = readOptions(node, [...PROGRAM_KEYS, ...extraKeys], issues, name);
  const opt = <T>(
    key: (typeof PROGRAM_KEYS)[number],
    coerce: (node: YNode, report: v.Report) => T | undefined,
    fallback: T,
  ): T => {
    const entry = options.get(key);
    if (entry === undefined) return fallback;
    return coerce(entry.value, issues.reporter(entry.value, name, key)) ?? fallback;
  };

  const cmdEntry = options.get("cmd");
  let command: { cmd: string; argv: string[] } | undefined;
  if (cmdEntry === undefined) {
    issues.add(namePos, name, "cmd", `missing required key "cmd"`);
  } else {
    command = parseCommand(cmdEntry.value, issues.reporter(cmdEntry.value, name, "cmd"));
  }
  const stream = (which: "stdout" | "stderr"): StreamConfig => ({
    target: opt<StreamTarget>(which, (n, r) => streamTarget(n, r, ctx.baseDir), { kind: "auto" }),
    maxBytes: opt(`${which}_maxbytes`, v.byteSize, 52428800),
    backups: opt(`${which}_backups`, (n, r) => v.integer(n, r, 0), 10),
  });
  const config: ProgramConfig = {
    name,
    cmd: command?.cmd ?? "",
    argv: command?.argv ?? [],
    numprocs: opt("numprocs", (n, r) => v.integer(n, r, 1, MAX_NUMPROCS), 1),
    priority: opt("priority", v.anyInteger, 999),
    autostart: opt("autostart", v.boolean, true),
    autorestart: opt("autorestart", v.autorestart, "unexpected"),
    exitcodes: opt("exitcodes", v.exitcodes, [0]),
    startretries: opt("startretries", (n, r) => v.integer(n, r, 0), 3),
    starttime: opt("starttime", v.seconds, 1),
    stopsignal: opt("stopsignal", v.signal, "SIGTERM"),
    stoptime: opt("stoptime", v.seconds, 10),
    stdout: stream("stdout"),
    stderr: stream("stderr"),
    timestamps: opt("timestamps", v.boolean, false),
    env: opt("env", v.env, {}),
    workingdir: opt("workingdir", (n, r) => nullable(n, (m) => v.path(m, r, ctx.baseDir)), null),
    umask: opt("umask", v.umask, null),
    user: opt("user", (n, r) => account(n, r, ctx), null),
  };
  return issues.count === before ? config : undefined;
}

/** `null` stays null (inherit); anything else goes through `coerce`. */
function nullable<T>(node: YNode, coerce: (node: YNode) => T | undefined): T | null | undefined {
  return node.kind === "scalar" && node.value === null ? null : coerce(node);
}

/** A command string split like a POSIX shell (no expansion), or a list of arguments. */
function parseCommand(node: YNode, report: v.Report): { cmd: string; argv: string[] } | undefined {
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

/** `stdout:`/`stderr:` value: a path (appended), or null or /dev/null to discard. */
function streamTarget(node: YNode, report: v.Report, baseDir: string): StreamTarget | undefined {
  if (node.kind === "scalar" && node.value === null) return { kind: "discard" };
  const path = v.path(node, report, baseDir);
  if (path === undefined) return undefined;
  return path === "/dev/null" ? { kind: "discard" } : { kind: "file", path };
}

/** `user:` value: an account name (or uid) that must exist, and taskmaster must be root. */
function account(node: YNode, report: v.Report, ctx: ProgramContext): Account | null | undefined {
  if (node.kind === "scalar" && node.value === null) return null;
  const name = node.kind === "scalar" && typeof node.value === "string"
    ? node.value.trim()
    : node.kind === "scalar" && typeof node.value === "number"
    ? node.source
    : undefined;
  if (name === undefined || name === "") {
    report(`expected a user name, got ${v.describe(node)}`);
    return undefined;
  }
  let found: Account | undefined;
  try {
    found = ctx.lookupUser(name);
  } catch {
    found = undefined;
  }
  if (found === undefined) {
    report(`unknown user ${JSON.stringify(name)} (not in the passwd database)`);
    return undefined;
  }
  if (!ctx.isRoot) {
    report(`running as user ${JSON.stringify(name)} requires taskmaster to run as root`);
    return undefined;
  }
  return found;
}
