/**
 * supervisord's own sections (`[supervisord]`, `[unix_http_server]`) as
 * taskmaster's `taskmaster:` block: log file, pidfile, socket, log
 * directory. Settings with no equivalent become `# supervisord:` comments;
 * a password is named, never copied.
 *
 * @module
 */

import { dirname, isAbsolute, resolve } from "node:path";
import type { IniSection } from "./ini.ts";
import {
  expandValue,
  type ExpansionsFor,
  fail,
  type Getter,
  intOf,
  type Located,
  yamlString,
} from "./located.ts";
import { supervisordByteSize, supervisordLoglevel } from "./option_map.ts";

/** `[supervisord]` keys the `taskmaster:` block takes (environment goes to every program). */
const DAEMON_KNOWN = new Set([
  "logfile",
  "logfile_maxbytes",
  "logfile_backups",
  "loglevel",
  "pidfile",
  "childlogdir",
  "environment",
]);

/** The comments, then the `taskmaster:` block (absent when nothing maps). */
export function settingsYaml(
  sections: Map<string, IniSection>,
  get: Getter,
  expansionsFor: ExpansionsFor,
): string[] {
  const lines: string[] = [];
  const comments: string[] = [];
  const value = (section: string, key: string) => {
    const v = get(section, key);
    return v === undefined ? undefined : { v, text: expandValue(v, expansionsFor(section)) };
  };
  const path = (section: string, key: string, to: string) => {
    const found = value(section, key);
    if (found === undefined) return;
    const p = isAbsolute(found.text) ? found.text : resolve(dirname(found.v.file), found.text);
    lines.push(`  ${to}: ${yamlString(p)}`);
  };
  path("supervisord", "logfile", "logfile");
  const maxbytes = value("supervisord", "logfile_maxbytes");
  if (maxbytes !== undefined) {
    const n = supervisordByteSize(maxbytes.text) ?? fail(maxbytes.v, "not a byte size");
    lines.push(`  logfile_maxbytes: ${n}`);
  }
  const backups = value("supervisord", "logfile_backups");
  if (backups !== undefined) lines.push(`  logfile_backups: ${intOf(backups.v, backups.text)}`);
  const level = value("supervisord", "loglevel");
  if (level !== undefined) {
    const l = supervisordLoglevel(level.text) ?? fail(level.v, `unknown level ${level.text}`);
    lines.push(`  loglevel: ${l}`);
  }
  path("supervisord", "pidfile", "pidfile");
  path("unix_http_server", "file", "socket");
  path("supervisord", "childlogdir", "logdir");
  for (const [key, v] of sections.get("supervisord")?.options ?? []) {
    if (!DAEMON_KNOWN.has(key)) {
      comments.push(`# supervisord: [supervisord] ${key}=${v.value} has no equivalent`);
    }
  }
  if (get("supervisord", "environment") !== undefined) {
    comments.push("# supervisord: [supervisord] environment is merged into every program's env");
  }
  for (const [key, v] of sections.get("unix_http_server")?.options ?? []) {
    if (key === "file") continue;
    // A password is a secret: name the key, never the value.
    const shown = key === "password" ? " (value not copied)" : `=${v.value}`;
    comments.push(
      `# supervisord: [unix_http_server] ${key}${shown} has no equivalent (the socket is owner-only, 0600)`,
    );
  }
  return [...comments, ...(lines.length > 0 ? ["taskmaster:", ...lines] : [])];
}

/** `[supervisord] childlogdir`, expanded and absolute, where AUTO log files go. */
export function childLogDir(
  v: Located | undefined,
  expansionsFor: ExpansionsFor,
): string | undefined {
  if (v === undefined) return undefined;
  const text = expandValue(v, expansionsFor("supervisord"));
  return isAbsolute(text) ? text : resolve(dirname(v.file), text);
}
