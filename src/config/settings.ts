/**
 * The `taskmaster:` section: the daemon's own settings (log file, pidfile,
 * socket, log directory, shutdown order, HTTP listener, state file,
 * cgroup), each defaulted, and the socket path checked against the kernel's
 * limit while the user can still fix it in the file.
 *
 * @module
 */

import { resolve } from "node:path";
import { validateHttp } from "./http.ts";
import type { IssueList } from "./issues.ts";
import { readOptions } from "./options.ts";
import type { YEntry, YNode } from "./parse.ts";
import { didYouMean } from "./suggest.ts";
import type { DaemonSettings } from "./types.ts";
import * as v from "./values.ts";

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

/** sun_path is 108 bytes on Linux, one of them the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

/** `taskmaster:` → settings with defaults; undefined when any of it is invalid. */
export function validateSettings(
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

/** `taskmaster.cgroup`: a directory in a cgroup v2 hierarchy, or false for process groups only. */
function cgroupSetting(node: YNode, report: v.Report, baseDir: string): string | false | undefined {
  if (node.kind === "scalar" && node.value === false) return false;
  if (node.kind === "scalar" && typeof node.value === "string" && node.value.startsWith("/")) {
    return v.path(node, report, baseDir);
  }
  report(`expected an absolute cgroup directory or false, got ${v.describe(node)}`);
  return undefined;
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
