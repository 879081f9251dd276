/**
 * The daemon's configuration as a run uses it: the file loaded with the
 * command line's overrides (`--logfile`, `--pidfile`, `--socket`, made
 * absolute), where each instance's output goes, and the warning for daemon
 * settings a reload cannot change.
 *
 * @module
 */

import { formatConfigIssue } from "../config/validate.ts";
import { loadConfig, type LoadResult } from "../config/load.ts";
import type { ProgramConfig, StreamConfig, TaskmasterConfig } from "../config/types.ts";
import type { StreamTarget } from "../process/runner_deps.ts";

/** Command-line choices for a daemon run. */
export interface DaemonOptions {
  readonly configPath: string;
  readonly shell: boolean;
  readonly logfile?: string | undefined;
  readonly pidfile?: string | undefined;
  readonly socket?: string | undefined;
  /** Started by `--detach`: stay silent on stdout/stderr once ready. */
  readonly detached?: boolean;
  /** `--detach --wait`: report ready only once the launch is over. */
  readonly wait?: boolean;
}

/** A loaded configuration, or every issue found, formatted. */
export type Loaded = { ok: true; config: TaskmasterConfig } | { ok: false; errors: string[] };

/** Loads `options.configPath` (with `load`: on a worker for reloads) and applies the overrides. */
export async function loadWithOverrides(
  options: DaemonOptions,
  load: (path: string) => Promise<LoadResult> = loadConfig,
): Promise<Loaded> {
  const result = await load(options.configPath);
  if (!result.ok) return { ok: false, errors: result.issues.map(formatConfigIssue) };
  const cwd = Deno.cwd();
  const abs = (p: string) => (p.startsWith("/") ? p : `${cwd}/${p}`);
  const settings = {
    ...result.config.settings,
    ...(options.logfile === undefined ? {} : { logfile: abs(options.logfile) }),
    ...(options.pidfile === undefined ? {} : { pidfile: abs(options.pidfile) }),
    ...(options.socket === undefined ? {} : { socket: abs(options.socket) }),
  };
  return { ok: true, config: { ...result.config, settings } };
}

/** Where an instance's streams go; `auto` resolves to `<logdir>/<instance>.out.log`. */
export function streamTargets(
  program: ProgramConfig,
  name: string,
  logdir: string,
): { stdout: StreamTarget; stderr: StreamTarget } {
  const target = (stream: StreamConfig, suffix: string): StreamTarget => ({
    path: stream.target.kind === "file"
      ? stream.target.path
      : stream.target.kind === "auto"
      ? `${logdir}/${name}.${suffix}.log`
      : null,
    maxBytes: stream.maxBytes,
    backups: stream.backups,
    timestamps: program.timestamps,
    flushPartialAfterMs: program.flushPartialAfter * 1000,
  });
  return { stdout: target(program.stdout, "out"), stderr: target(program.stderr, "err") };
}

/**
 * {@link streamTargets} for one daemon's `logdir`. A program whose streams
 * name no instance (no `auto` log) gets one pair of targets, made once per
 * config and held by each of its instances' relays (~130 B per instance:
 * issue 17); a reload's new config gets its own.
 */
export function sharedStreamTargets(
  logdir: string,
): (program: ProgramConfig, name: string) => { stdout: StreamTarget; stderr: StreamTarget } {
  const shared = new WeakMap<ProgramConfig, { stdout: StreamTarget; stderr: StreamTarget }>();
  return (program, name) => {
    const known = shared.get(program);
    if (known !== undefined) return known;
    const targets = streamTargets(program, name, logdir);
    const perInstance = program.stdout.target.kind === "auto" ||
      program.stderr.target.kind === "auto";
    if (!perInstance) shared.set(program, targets);
    return targets;
  };
}

/** Warns of every daemon setting that changed: it takes effect at the next start only. */
export function warnAboutDaemonSettings(
  prev: TaskmasterConfig,
  next: TaskmasterConfig,
  warn: (message: string) => void,
): void {
  for (const key of Object.keys(prev.settings) as (keyof TaskmasterConfig["settings"])[]) {
    if (JSON.stringify(prev.settings[key]) !== JSON.stringify(next.settings[key])) {
      warn(`taskmaster.${key} changed: it takes effect at the next start of taskmaster`);
    }
  }
}
