/**
 * Names shared by the exporters: the application name and the instance names
 * taskmaster itself uses, so generated log paths match a taskmaster run.
 *
 * @module
 */

import { basename, extname, join } from "node:path";
import type { ProgramConfig, StreamTarget, TaskmasterConfig } from "../config/types.ts";

/** The default `--app`: the config file's name without its extension (`app.yaml` → `app`). */
export function defaultAppName(configFile: string): string {
  const base = basename(configFile, extname(configFile));
  return dnsLabel(base) || "taskmaster";
}

/**
 * A DNS-1123 label (Kubernetes object names, unit name prefixes that stay portable):
 * lower case, `-` for anything else, no leading or trailing `-`, at most 63 characters.
 */
export function dnsLabel(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63)
    .replace(/-+$/, "");
}

/** Instance names as taskmaster gives them: `web` alone, else `web:0` … `web:N-1`. */
export function instanceNames(program: ProgramConfig): string[] {
  if (program.numprocs === 1) return [program.name];
  return Array.from({ length: program.numprocs }, (_, i) => `${program.name}:${i}`);
}

/**
 * The file an output stream is appended to, with `instance` standing for the instance
 * name (`auto` streams go to `<logdir>/<instance>.out.log`), or null when discarded.
 */
export function streamPath(
  config: TaskmasterConfig,
  target: StreamTarget,
  which: "stdout" | "stderr",
  instance: string,
): string | null {
  switch (target.kind) {
    case "discard":
      return null;
    case "file":
      return target.path;
    case "auto":
      return join(config.settings.logdir, `${instance}.${which === "stdout" ? "out" : "err"}.log`);
  }
}

/** Whether stdout and stderr of `program` end up in one file. */
export function combinedOutput(program: ProgramConfig): boolean {
  const out = program.stdout.target;
  const err = program.stderr.target;
  return out.kind === "file" && err.kind === "file" && out.path === err.path;
}

/** Signal name without `SIG`, as supervisord and systemd's docs write them. */
export function bareSignal(signal: string): string {
  return signal.replace(/^SIG/, "");
}

/** The probe keys a program sets (`readiness`, `liveness`). */
export function probeKeys(program: ProgramConfig): string[] {
  return [
    ...(program.readiness === null ? [] : ["readiness"]),
    ...(program.liveness === null ? [] : ["liveness"]),
  ];
}
