/**
 * What a program's process is started with, beyond its command: the
 * environment a login as its `user` would set, supervisord's SUPERVISOR_*
 * variables, and the working directory. Pure but for the one directory
 * check, which comes in as a function (the runner passes its OS port's).
 *
 * @module
 */

import type { ProgramConfig } from "../config/types.ts";
import type { SpawnSpec } from "./spawner.ts";

/**
 * How `cfg`'s processes are spawned; `argv` for a probe run the same way.
 * `isDirectory` answers for the user's home (see {@link workingDirectory}).
 */
export function spawnSpec(
  cfg: ProgramConfig,
  isDirectory: (path: string) => boolean,
  argv: readonly string[] = cfg.argv,
): SpawnSpec {
  return {
    argv,
    env: accountEnv(cfg),
    cwd: workingDirectory(cfg, isDirectory),
    umask: cfg.umask,
    uid: cfg.user?.uid ?? null,
    gid: cfg.user?.gid ?? null,
    combineOutput: false,
  };
}

/**
 * Without a `workingdir`, a program run as another user starts in that
 * user's home (or `/`), as a login would: taskmaster's own directory may not
 * be reachable for that user, and the spawn would fail with EACCES.
 * Checked at each spawn, not at load: a home may appear later (nobody's is
 * /nonexistent).
 */
function workingDirectory(
  cfg: ProgramConfig,
  isDirectory: (path: string) => boolean,
): string | null {
  if (cfg.workingdir !== null || cfg.user === null) return cfg.workingdir;
  return isDirectory(cfg.user.home) ? cfg.user.home : "/";
}

/** `user` sets the environment a login would (SEMANTICS.md, difference 4). */
export function accountEnv(cfg: ProgramConfig): Record<string, string> {
  if (cfg.user === null) return { ...cfg.env };
  return {
    HOME: cfg.user.home,
    USER: cfg.user.name,
    LOGNAME: cfg.user.name,
    SHELL: cfg.user.shell,
    ...cfg.env,
  };
}

/**
 * supervisord's variables, so childutils and superlance work: group =
 * program, process = program (one instance) or the instance number.
 * None without a control socket URL.
 */
export function supervisorEnv(
  serverUrl: string | undefined,
  program: string,
  index: number,
  numprocs: number,
): Record<string, string> {
  if (serverUrl === undefined) return {};
  return {
    SUPERVISOR_ENABLED: "1",
    SUPERVISOR_SERVER_URL: serverUrl,
    SUPERVISOR_PROCESS_NAME: numprocs === 1 ? program : String(index),
    SUPERVISOR_GROUP_NAME: program,
  };
}
