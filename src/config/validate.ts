/**
 * Parsed YAML nodes → a validated, fully defaulted {@link TaskmasterConfig}, or every
 * issue in the file at once. Pure: the only outside knowledge (are we root, which users
 * exist) comes in through {@link ConfigEnv}.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { type ConfigIssue, IssueList } from "./issues.ts";
import type { Pos, YEntry, YNode } from "./parse.ts";
import { checkProgramName, readOptions, validateProgram } from "./program.ts";
import { findCycles } from "./dependency_graph.ts";
import type { WrittenDependency } from "./orchestration.ts";
import { didYouMean } from "./suggest.ts";
import { validateEventListeners } from "./eventlisteners.ts";
import type { Account, DaemonSettings, ProgramConfig, TaskmasterConfig } from "./types.ts";
import * as v from "./values.ts";
import { validateHttp } from "./http.ts";
import { validateAlerts } from "../alerts/config.ts";

export { type ConfigIssue, formatConfigIssue } from "./issues.ts";
export { PROGRAM_KEYS } from "./program.ts";

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

/** Keys allowed under `taskmaster:`. */
export const SETTINGS_KEYS = [
  "logfile",
  "logfile_maxbytes",
  "logfile_backups",
  "loglevel",
  "pidfile",
  "socket",
  "logdir",
  "shutdown_order",
  "http",
  "max_connections",
  "statefile",
  "cgroup",
] as const;

/** `taskmaster.cgroup`: a directory in a cgroup v2 hierarchy, or false for process groups only. */
function cgroupSetting(node: YNode, report: v.Report, baseDir: string): string | false | undefined {
  if (node.kind === "scalar" && node.value === false) return false;
  if (node.kind === "scalar" && typeof node.value === "string" && node.value.startsWith("/")) {
    return v.path(node, report, baseDir);
  }
  report(`expected an absolute cgroup directory or false, got ${v.describe(node)}`);
  return undefined;
}

/** sun_path is 108 bytes on Linux, one of them the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

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

/**
 * Cross-program checks of `depends_on`: unknown names, self-dependencies,
 * `healthy` on a program without readiness, and cycles, each cycle named in
 * full (`api -> migrate -> api`) on every program in it.
 */
function checkDependencies(
  written: ReadonlyMap<string, WrittenDependency[]>,
  declared: ReadonlyMap<string, Pos>,
  programs: ReadonlyMap<string, ProgramConfig>,
  issues: IssueList,
): void {
  const names = [...declared.keys()];
  const graph = new Map<string, string[]>();
  for (const [program, deps] of written) {
    if (!declared.has(program)) continue;
    const edges: string[] = [];
    for (const dep of deps) {
      if (dep.program === program) {
        issues.add(dep.pos, program, "depends_on", `a program cannot depend on itself`);
      } else if (!declared.has(dep.program)) {
        issues.add(
          dep.pos,
          program,
          "depends_on",
          `unknown program "${dep.program}"${didYouMean(dep.program, names)}`,
        );
      } else {
        edges.push(dep.program);
        const target = programs.get(dep.program);
        if (dep.condition === "healthy" && target !== undefined && target.readiness === null) {
          issues.add(
            dep.pos,
            program,
            "depends_on",
            `"${dep.program}" has no readiness probe, so it can never be healthy (give it a "readiness:" or use "running")`,
          );
        }
      }
    }
    graph.set(program, edges);
  }
  for (const cycle of findCycles(graph)) {
    // Each member reports the cycle as seen from itself: `api -> migrate -> api`.
    const ring = cycle.slice(0, -1);
    ring.forEach((program, i) => {
      const path = [...ring.slice(i), ...ring.slice(0, i), program];
      const dep = written.get(program)?.find((d) => d.program === path[1]);
      issues.add(dep?.pos ?? null, program, "depends_on", `dependency cycle: ${path.join(" -> ")}`);
    });
  }
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

/** `taskmaster:` → settings with defaults; undefined when any of it is invalid. */
function validateSettings(
  entry: YEntry | undefined,
  baseDir: string,
  issues: IssueList,
  getEnv: (name: string) => string | undefined,
): DaemonSettings | undefined {
  const before = issues.count;
  const node = entry?.value;
  let options = new Map<string, YEntry>();
  if (node !== undefined && node.kind === "map") {
    options = readOptions(node, SETTINGS_KEYS, issues, null, "taskmaster.");
  } else if (node !== undefined && !(node.kind === "scalar" && node.value === null)) {
    issues.add(
      node.pos,
      null,
      "taskmaster",
      `expected a mapping of settings, got ${v.describe(node)}`,
    );
    return undefined;
  }
  const opt = <T>(
    key: (typeof SETTINGS_KEYS)[number],
    coerce: (node: YNode, report: v.Report) => T | undefined,
    fallback: T,
  ): T => {
    const e = options.get(key);
    if (e === undefined) return fallback;
    return coerce(e.value, issues.reporter(e.value, null, `taskmaster.${key}`)) ?? fallback;
  };
  const path = (n: YNode, r: v.Report) => v.path(n, r, baseDir);
  const settings: { -readonly [K in keyof DaemonSettings]: DaemonSettings[K] } = {
    logfile: opt("logfile", path, resolve(baseDir, "taskmaster.log")),
    logfileMaxBytes: opt("logfile_maxbytes", v.byteSize, 10485760),
    logfileBackups: opt("logfile_backups", (n, r) => v.integer(n, r, 0), 5),
    loglevel: opt("loglevel", v.loglevel, "info"),
    pidfile: opt("pidfile", path, resolve(baseDir, "taskmaster.pid")),
    socket: opt("socket", path, resolve(baseDir, "taskmaster.sock")),
    logdir: opt("logdir", path, resolve(baseDir, "logs")),
    shutdownOrder: opt("shutdown_order", shutdownOrder, "dependencies"),
    http: null,
    maxConnections: opt("max_connections", (n, r) => v.integer(n, r, 1, 65536), 256),
    statefile: opt("statefile", path, null),
    cgroup: opt("cgroup", (n, r) => cgroupSetting(n, r, baseDir), null),
  };
  const httpEntry = options.get("http");
  if (httpEntry !== undefined) {
    settings.http = validateHttp(httpEntry, baseDir, issues, getEnv) ?? null;
  }
  // Checked on the default too: a deep config directory makes the default socket unusable.
  const bytes = new TextEncoder().encode(settings.socket).length;
  if (bytes > MAX_SOCKET_PATH_BYTES && issues.count === before) {
    const socketEntry = options.get("socket");
    const what = socketEntry === undefined
      ? `the default socket path ${JSON.stringify(settings.socket)}`
      : `socket path ${JSON.stringify(settings.socket)}`;
    const fix = socketEntry === undefined ? `; set "taskmaster.socket" to a shorter path` : "";
    issues.add(
      socketEntry?.value.pos ?? null,
      null,
      "taskmaster.socket",
      `${what} is ${bytes} bytes long, over the ${MAX_SOCKET_PATH_BYTES}-byte limit of unix socket paths${fix}`,
    );
  }
  return issues.count === before ? settings : undefined;
}

/** `taskmaster.shutdown_order`: `dependencies` | `parallel`. */
function shutdownOrder(node: YNode, report: v.Report): DaemonSettings["shutdownOrder"] | undefined {
  const value = node.kind === "scalar" && typeof node.value === "string"
    ? node.value.trim().toLowerCase()
    : undefined;
  if (value === "dependencies" || value === "parallel") return value;
  const hint = value === undefined ? "" : didYouMean(value, ["dependencies", "parallel"]);
  report(`expected "dependencies" or "parallel", got ${v.describe(node)}${hint}`);
  return undefined;
}
