/**
 * Parsed YAML nodes → a validated, fully defaulted {@link TaskmasterConfig}, or every
 * issue in the file at once. Pure: the only outside knowledge (are we root, which users
 * exist) comes in through {@link ConfigEnv}.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { validateAlerts } from "../alerts/config.ts";
import { checkDependencies } from "./dependency_checks.ts";
import { validateEventListeners } from "./eventlisteners.ts";
import { type ConfigIssue, IssueList } from "./issues.ts";
import type { WrittenDependency } from "./orchestration.ts";
import type { Pos, YEntry, YNode } from "./parse.ts";
import { checkProgramName, readOptions, validateProgram } from "./program.ts";
import { validateSettings } from "./settings.ts";
import type { Account, ProgramConfig, TaskmasterConfig } from "./types.ts";
import * as v from "./values.ts";

export { type ConfigIssue, formatConfigIssue } from "./issues.ts";

/** What validation needs to know about the machine. */
export interface ConfigEnv {
  /** Whether taskmaster runs as root (`user:` needs it). */
  readonly isRoot: boolean;
  /** Finds an account by name (or uid digits); undefined when there is none. */
  readonly lookupUser: (name: string) => Account | undefined;
  /** Reads an environment variable (`password: "${VAR}"`). @default none is set */
  readonly getEnv?: (name: string) => string | undefined;
  /**
   * Whether a directory exists, for the directories of `stdout`/`stderr`
   * files (supervisord refuses a missing one too). Unchecked when absent.
   */
  readonly dirExists?: (path: string) => boolean;
}

/** A valid config, or every issue found. */
export type ValidationResult =
  | { ok: true; config: TaskmasterConfig }
  | { ok: false; issues: ConfigIssue[] };

/**
 * `logdir` and what is under it are taskmaster's to create (at start), so a
 * `stdout: logs/web.out` beside `logdir: logs` is fine before they exist.
 */
function underLogdir(
  logdir: string,
  dirExists: (path: string) => boolean,
): (path: string) => boolean {
  return (path) => path === logdir || path.startsWith(`${logdir}/`) || dirExists(path);
}

/** Keys allowed at the top of the file. */
export const TOP_LEVEL_KEYS = [
  "taskmaster",
  "programs",
  "services",
  "eventlisteners",
  "alerts",
] as const;

/**
 * Validates a parsed config file. `file` is the config's path (made absolute); relative
 * paths inside it resolve against its directory. `root` is null for an empty document.
 */
export function validateConfig(root: YNode | null, file: string, env: ConfigEnv): ValidationResult {
  const absFile = resolve(file);
  const baseDir = dirname(absFile);
  const issues = new IssueList(absFile);
  const start: Pos = { line: 1, column: 1 };

  if (root === null || (root.kind === "scalar" && root.value === null)) {
    issues.add(start, null, null, `no programs defined: add a "programs:" mapping`);
    return { ok: false, issues: issues.sorted() };
  }
  if (root.kind !== "map") {
    issues.add(
      root.pos,
      null,
      null,
      `expected a mapping with "programs:" (and optionally "taskmaster:"), got ${v.describe(root)}`,
    );
    return { ok: false, issues: issues.sorted() };
  }

  // `x-…` keys are ignored (docker-compose's convention), so anchors for `<<:` merges have a home.
  const extensions = root.entries.filter((e) => e.key.startsWith("x-")).map((e) => e.key);
  const top = readOptions(root, [...TOP_LEVEL_KEYS, ...extensions], issues, null);
  const settings = validateSettings(
    top.get("taskmaster"),
    baseDir,
    issues,
    env.getEnv ?? (() => undefined),
  );
  const written = new Map<string, WrittenDependency[]>();
  const ctx = {
    issues,
    baseDir,
    isRoot: env.isRoot,
    lookupUser: env.lookupUser,
    ...(env.dirExists === undefined
      ? {}
      : { dirExists: underLogdir(settings?.logdir ?? resolve(baseDir, "logs"), env.dirExists) }),
    onDependsOn: (program: string, deps: WrittenDependency[]) => written.set(program, deps),
  };

  // Both forms may be used together; names must stay unique across them.
  const programs = new Map<string, ProgramConfig>();
  const namedAt = new Map<string, Pos>();
  let declared = 0;
  const add = (name: string, namePos: Pos, node: YNode, extra: readonly string[] = []) => {
    const nameOk = checkProgramName(name, namePos, issues);
    const first = namedAt.get(name);
    if (first !== undefined) {
      issues.add(namePos, name, null, `duplicate program (first defined on line ${first.line})`);
    } else if (nameOk) {
      namedAt.set(name, namePos);
    }
    const program = validateProgram(name, namePos, node, ctx, extra);
    if (program !== undefined && nameOk && first === undefined) programs.set(name, program);
  };

  const programsEntry = top.get("programs");
  const servicesEntry = top.get("services");
  let shapeError = false;
  if (programsEntry !== undefined) {
    const node = programsEntry.value;
    if (node.kind === "map") {
      declared += node.entries.length;
      for (const e of node.entries) add(e.key, e.keyPos, e.value);
    } else if (!(node.kind === "scalar" && node.value === null)) {
      shapeError = true;
      issues.add(
        node.pos,
        null,
        "programs",
        `expected a mapping of program names to options, got ${v.describe(node)}`,
      );
    }
  }
  if (servicesEntry !== undefined) {
    const node = servicesEntry.value;
    if (node.kind === "seq") {
      declared += node.items.length;
      for (const item of node.items) addService(item, issues, add);
    } else if (!(node.kind === "scalar" && node.value === null)) {
      shapeError = true;
      issues.add(
        node.pos,
        null,
        "services",
        `expected a list of programs, each with a "name:", got ${v.describe(node)}`,
      );
    }
  }
  if (declared === 0 && !shapeError) {
    const where = programsEntry?.keyPos ?? servicesEntry?.keyPos ?? root.pos;
    issues.add(where, null, null, `no programs defined: add at least one under "programs:"`);
  }

  checkDependencies(written, namedAt, programs, issues);
  const eventlisteners = validateEventListeners(top.get("eventlisteners")?.value, ctx, namedAt);

  const alerts = validateAlerts(
    top.get("alerts"),
    issues,
    baseDir,
    env.getEnv ?? (() => undefined),
  );
  if (issues.count > 0 || settings === undefined || alerts === undefined) {
    return { ok: false, issues: issues.sorted() };
  }
  return { ok: true, config: { file: absFile, settings, programs, eventlisteners, alerts } };
}

/** One `services:` item: a mapping of options with a `name:`. */
function addService(
  item: YNode,
  issues: IssueList,
  add: (name: string, namePos: Pos, node: YNode, extra: readonly string[]) => void,
): void {
  if (item.kind !== "map") {
    issues.add(
      item.pos,
      null,
      "services",
      `expected a mapping of options with a "name:", got ${v.describe(item)}`,
    );
    return;
  }
  const nameEntry: YEntry | undefined = item.entries.find((e) => e.key === "name");
  const n = nameEntry?.value;
  if (nameEntry === undefined || n === undefined) {
    issues.add(item.pos, null, "name", `missing required key "name"`);
    return;
  }
  const name = n.kind === "scalar" && n.value !== null && typeof n.value !== "boolean"
    ? (typeof n.value === "string" ? n.value : n.source)
    : undefined;
  if (name === undefined) {
    issues.add(n.pos, null, "name", `expected a program name, got ${v.describe(n)}`);
    return;
  }
  add(name, n.pos, item, ["name"]);
}
