/**
 * Validation of one program's options (`programs.<name>` or one `services:` item) into a
 * fully defaulted {@link ProgramConfig}.
 *
 * @module
 */

import { dirname } from "node:path";
import { parseCommand } from "./command.ts";
import { readOptions } from "./options.ts";
import * as orchestration from "./orchestration.ts";
import type { IssueList } from "./issues.ts";
import type { Pos, YEntry, YNode } from "./parse.ts";
import type { Account, ProgramConfig, StreamConfig, StreamTarget } from "./types.ts";
import * as pv from "./program_values.ts";
import * as v from "./values.ts";
import { flap } from "../alerts/config.ts";

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
  "stdout_events_enabled",
  "stderr_events_enabled",
  "flush_partial_after",
  "env",
  "workingdir",
  "umask",
  "user",
  "depends_on",
  "readiness",
  "liveness",
  "max_memory",
  "x-kubernetes",
  "flap",
] as const;

/** Keys under a program's `x-kubernetes:` (read by `taskmaster export kubernetes` only). */
export const KUBERNETES_KEYS = ["image"] as const;

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
  /** Whether a directory exists (see ConfigEnv.dirExists); unchecked when absent. */
  readonly dirExists?: (path: string) => boolean;
  /** Receives each program's `depends_on` with positions, for the cross-program checks. */
  readonly onDependsOn?: (program: string, deps: orchestration.WrittenDependency[]) => void;
}

export { readOptions };

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
    target: opt<StreamTarget>(which, (n, r) => streamTarget(n, r, ctx), { kind: "auto" }),
    maxBytes: opt(`${which}_maxbytes`, v.byteSize, 52428800),
    backups: opt(`${which}_backups`, (n, r) => v.integer(n, r, 0), 10),
  });
  const config: { -readonly [K in keyof ProgramConfig]: ProgramConfig[K] } = {
    name,
    cmd: command?.cmd ?? "",
    argv: command?.argv ?? [],
    numprocs: opt("numprocs", (n, r) => v.integer(n, r, 1, MAX_NUMPROCS), 1),
    priority: opt("priority", v.anyInteger, 999),
    autostart: opt("autostart", v.boolean, true),
    autorestart: opt("autorestart", pv.autorestart, "unexpected"),
    exitcodes: opt("exitcodes", pv.exitcodes, [0]),
    startretries: opt("startretries", (n, r) => v.integer(n, r, 0), 3),
    starttime: opt("starttime", v.seconds, 1),
    stopsignal: opt("stopsignal", v.signal, "SIGTERM"),
    stoptime: opt("stoptime", v.seconds, 10),
    stdout: stream("stdout"),
    stderr: stream("stderr"),
    timestamps: opt("timestamps", v.boolean, false),
    flushPartialAfter: opt("flush_partial_after", pv.flushDelay, 0.2),
    stdoutEvents: opt("stdout_events_enabled", v.boolean, false),
    stderrEvents: opt("stderr_events_enabled", v.boolean, false),
    env: opt("env", pv.env, {}),
    workingdir: opt("workingdir", (n, r) => nullable(n, (m) => v.path(m, r, ctx.baseDir)), null),
    umask: opt("umask", pv.umask, null),
    user: opt("user", (n, r) => account(n, r, ctx), null),
    dependsOn: [],
    readiness: probeOption(options.get("readiness"), "readiness", name, issues),
    liveness: probeOption(options.get("liveness"), "liveness", name, issues),
    maxMemory: opt("max_memory", orchestration.maxMemory, null),
    kubernetes: opt("x-kubernetes", (n, r) => kubernetes(n, r, name, issues), { image: null }),
    flap: opt("flap", flap, null),
  };
  const written = opt("depends_on", orchestration.dependsOn, []);
  ctx.onDependsOn?.(name, written);
  config.dependsOn = written.map(({ program, condition }) => ({ program, condition }));
  return issues.count === before ? config : undefined;
}

function probeOption(
  entry: YEntry | undefined,
  which: "readiness" | "liveness",
  program: string,
  issues: IssueList,
) {
  return entry === undefined
    ? null
    : orchestration.probe(entry.value, which, program, issues) ?? null;
}

/** `null` stays null (inherit); anything else goes through `coerce`. */
function nullable<T>(node: YNode, coerce: (node: YNode) => T | undefined): T | null | undefined {
  return node.kind === "scalar" && node.value === null ? null : coerce(node);
}

/**
 * `stdout:`/`stderr:` value: a path (appended), or null, /dev/null or `none`
 * (any case: supervisord's `NONE`) to discard; /dev/null is the program's
 * own fd, as in supervisord, where it is a file like any other.
 */
function streamTarget(
  node: YNode,
  report: v.Report,
  ctx: ProgramContext,
): StreamTarget | undefined {
  if (node.kind === "scalar" && node.value === null) return { kind: "discard" };
  if (node.kind === "scalar" && String(node.value).toLowerCase() === "none") {
    return { kind: "discard" };
  }
  const path = v.path(node, report, ctx.baseDir);
  if (path === undefined) return undefined;
  if (path === "/dev/null") return { kind: "discard", devNull: true };
  // A typo in a directory must not create a tree somewhere (`logdir` may be created).
  const dir = dirname(path);
  if (ctx.dirExists !== undefined && !ctx.dirExists(dir)) {
    report(`directory ${dir} does not exist`);
    return undefined;
  }
  return { kind: "file", path };
}

/** `x-kubernetes:` value: export-only settings, `{image: IMAGE}`. */
function kubernetes(
  node: YNode,
  report: v.Report,
  program: string,
  issues: IssueList,
): { image: string | null } | undefined {
  if (node.kind === "scalar" && node.value === null) return { image: null };
  if (node.kind !== "map") {
    report(`expected a mapping like {image: IMAGE}, got ${v.describe(node)}`);
    return undefined;
  }
  const options = readOptions(node, KUBERNETES_KEYS, issues, program, "x-kubernetes.");
  const entry = options.get("image");
  if (entry === undefined) return { image: null };
  const image = v.text(entry.value, issues.reporter(entry.value, program, "x-kubernetes.image"));
  return image === undefined ? undefined : { image };
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
