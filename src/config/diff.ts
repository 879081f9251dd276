/**
 * Per-program diff of two configs, for reload. Pure.
 *
 * Every field of {@link ProgramConfig} is listed below as either spawn-affecting (a change
 * restarts every instance) or monitoring-only (applied live). The mapped types make the
 * lists exhaustive: a field added to types.ts fails `deno check` here until someone
 * decides which kind it is.
 *
 * @module
 */

import { discardedStreams } from "./discarded_streams.ts";
import type {
  Account,
  Dependency,
  ProbeConfig,
  ProgramConfig,
  StreamConfig,
  TaskmasterConfig,
} from "./types.ts";

/** What reload must do for one program. */
export type ProgramChange =
  | { kind: "added"; next: ProgramConfig }
  | { kind: "removed"; prev: ProgramConfig }
  /** A spawn-affecting field changed: restart every instance. */
  | { kind: "changed"; prev: ProgramConfig; next: ProgramConfig }
  /** Only monitoring options and/or numprocs/priority changed: no restart. */
  | { kind: "updated"; prev: ProgramConfig; next: ProgramConfig }
  | { kind: "unchanged"; prev: ProgramConfig; next: ProgramConfig };

type Eq<T> = (a: T, b: T) => boolean;
type Fields<K extends keyof ProgramConfig> = { readonly [F in K]: Eq<ProgramConfig[F]> };

/** Fields that shape the spawned process or where its output goes. */
export type SpawnField =
  | "cmd"
  | "argv"
  | "env"
  | "workingdir"
  | "umask"
  | "user"
  | "stdout"
  | "stderr"
  | "timestamps"
  | "flushPartialAfter";

/** Fields the supervisor reads while monitoring; they apply without a restart. */
export type MonitorField =
  | "numprocs"
  | "priority"
  | "autostart"
  | "autorestart"
  | "exitcodes"
  | "startretries"
  | "starttime"
  | "stopsignal"
  | "stoptime"
  // Orchestration is monitoring-only: it gates starts and watches, never shapes the process.
  | "dependsOn"
  | "readiness"
  | "liveness"
  | "maxMemory"
  | "stdoutEvents"
  | "stderrEvents"
  | "kubernetes"
  | "flap";

// Compile-time proof that every field is classified (`name` is the diff key itself).
type _Unclassified = Exclude<keyof ProgramConfig, SpawnField | MonitorField | "name">;
const _allClassified: [_Unclassified] extends [never] ? true : never = true;

const same: Eq<unknown> = (a, b) => a === b;

const sameList: Eq<readonly (string | number)[]> = (a, b) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

const sameEnv: Eq<Readonly<Record<string, string>>> = (a, b) => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length &&
    ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
};

const sameUser: Eq<Account | null> = (a, b) =>
  a === null || b === null
    ? a === b
    : a.name === b.name && a.uid === b.uid && a.gid === b.gid && a.home === b.home &&
      a.shell === b.shell;

const sameStream: Eq<StreamConfig> = (a, b) =>
  a.target.kind === b.target.kind &&
  (a.target.kind !== "file" || b.target.kind !== "file" || a.target.path === b.target.path) &&
  a.maxBytes === b.maxBytes && a.backups === b.backups;

const sameDeps: Eq<readonly Dependency[]> = (a, b) =>
  a.length === b.length &&
  a.every((d, i) => d.program === b[i]?.program && d.condition === b[i]?.condition);

// Probe configs are plain data (no functions, no cycles): JSON is an exact comparison.
const sameProbe: Eq<ProbeConfig | null> = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** How each spawn-affecting field is compared. */
export const SPAWN_FIELDS: Fields<SpawnField> = {
  // cmd is compared through argv: `sleep  1` and `sleep 1` run the same process.
  cmd: () => true,
  argv: sameList,
  env: sameEnv,
  workingdir: same,
  umask: same,
  user: sameUser,
  stdout: sameStream,
  stderr: sameStream,
  timestamps: same,
  flushPartialAfter: same,
};

/** How each monitoring-only field is compared. */
export const MONITOR_FIELDS: Fields<MonitorField> = {
  numprocs: same,
  priority: same,
  autostart: same,
  autorestart: same,
  exitcodes: sameList,
  startretries: same,
  starttime: same,
  stopsignal: same,
  stoptime: same,
  dependsOn: sameDeps,
  readiness: sameProbe,
  liveness: sameProbe,
  maxMemory: same,
  // Read by the event listeners at each chunk. On a /dev/null stream, events and
  // log_line probes need a pipe: spawnAffectingFields() then asks for a restart.
  stdoutEvents: same,
  stderrEvents: same,
  // Read by `export` only: nothing running depends on it.
  kubernetes: (a, b) => a.image === b.image,
  flap: (a, b) => a?.restarts === b?.restarts && a?.within === b?.within,
};

function differs<K extends keyof ProgramConfig>(
  fields: Fields<K>,
  a: ProgramConfig,
  b: ProgramConfig,
): K[] {
  return (Object.keys(fields) as K[]).filter((f) => !(fields[f] as Eq<unknown>)(a[f], b[f]));
}

/** The spawn-affecting fields that differ between `a` and `b` (for logs: "web: argv, env"). */
export function spawnAffectingFields(a: ProgramConfig, b: ProgramConfig): SpawnField[] {
  const fields = differs(SPAWN_FIELDS, a, b);
  // A stream that gains or loses its pipe (events, a log_line probe) needs a new child.
  const before = discardedStreams(a);
  const after = discardedStreams(b);
  for (const stream of ["stdout", "stderr"] as const) {
    if (before[stream] !== after[stream] && !fields.includes(stream)) fields.push(stream);
  }
  return fields;
}

/** The monitoring-only fields that differ between `a` and `b`. */
export function monitorFields(a: ProgramConfig, b: ProgramConfig): MonitorField[] {
  return differs(MONITOR_FIELDS, a, b);
}

/** True when running instances of `a` must be restarted to become `b`. */
export function spawnAffectingChanged(a: ProgramConfig, b: ProgramConfig): boolean {
  return spawnAffectingFields(a, b).length > 0;
}

/**
 * One change per program present in either config, sorted by program name.
 * A change of `taskmaster.logdir` counts as spawn-affecting for programs with an `auto`
 * output stream, since their files move.
 */
export function diffConfigs(prev: TaskmasterConfig, next: TaskmasterConfig): ProgramChange[] {
  const names = [...new Set([...prev.programs.keys(), ...next.programs.keys()])].sort();
  const logdirMoved = prev.settings.logdir !== next.settings.logdir;
  const usesAuto = (p: ProgramConfig) =>
    p.stdout.target.kind === "auto" || p.stderr.target.kind === "auto";
  return names.map((name): ProgramChange => {
    const a = prev.programs.get(name);
    const b = next.programs.get(name);
    if (a === undefined) return { kind: "added", next: b as ProgramConfig };
    if (b === undefined) return { kind: "removed", prev: a };
    if (spawnAffectingChanged(a, b) || (logdirMoved && (usesAuto(a) || usesAuto(b)))) {
      return { kind: "changed", prev: a, next: b };
    }
    if (monitorFields(a, b).length > 0) return { kind: "updated", prev: a, next: b };
    return { kind: "unchanged", prev: a, next: b };
  });
}
