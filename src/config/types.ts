/**
 * The validated, fully defaulted configuration that the rest of taskmaster
 * consumes. Everything here is readonly: a reload builds a new value and
 * diffs it against the old one instead of mutating it.
 *
 * @module
 */

import type { AlertsConfig, FlapConfig } from "../alerts/types.ts";

/** When a process that exited from RUNNING is started again. */
export type AutoRestart = "always" | "never" | "unexpected";

/** Signals a program may name as its `stopsignal` (or `signal` target). */
export const STOP_SIGNALS = [
  "SIGTERM",
  "SIGHUP",
  "SIGINT",
  "SIGQUIT",
  "SIGKILL",
  "SIGUSR1",
  "SIGUSR2",
  "SIGCONT",
  "SIGSTOP",
  "SIGTSTP",
  "SIGWINCH",
  "SIGALRM",
  "SIGPIPE",
] as const satisfies readonly Deno.Signal[];

/** Where one output stream (stdout or stderr) of a program's instances goes. */
export type StreamTarget =
  /** Appended to this absolute path (rotated by size). */
  | { readonly kind: "file"; readonly path: string }
  /**
   * Thrown away (`null`, `/dev/null` or `none` in YAML). `devNull`: written
   * as `/dev/null`, the program's fd is /dev/null itself, as under a shell's
   * `>/dev/null` (discarded_streams.ts); otherwise it is still piped, so the
   * live output can be followed.
   */
  | { readonly kind: "discard"; readonly devNull?: true }
  /** `<logdir>/<instance>.out.log` / `.err.log`: the default. */
  | { readonly kind: "auto" };

/** Rotation and decoration settings of one output stream. */
export interface StreamConfig {
  readonly target: StreamTarget;
  /** Rotate when the file would grow past this many bytes; 0 never rotates. @default 52428800 */
  readonly maxBytes: number;
  /** How many rotated files (`name.1` … `name.N`) are kept. @default 10 */
  readonly backups: number;
}

/** A user account a program runs as, resolved from the passwd database at load time. */
export interface Account {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  readonly shell: string;
}

/**
 * What a dependent waits for: `running` (RUNNING, past `starttime`), `healthy`
 * (RUNNING and its readiness probe passed), `completed` (EXITED, any code) or
 * `completed_successfully` (EXITED with one of its `exitcodes`).
 */
export type DependencyCondition = "running" | "healthy" | "completed" | "completed_successfully";

/** Every {@link DependencyCondition}, in documentation order. */
export const DEPENDENCY_CONDITIONS: readonly DependencyCondition[] = [
  "running",
  "healthy",
  "completed",
  "completed_successfully",
];

/** One `depends_on` entry. */
export interface Dependency {
  /** The program depended on. */
  readonly program: string;
  readonly condition: DependencyCondition;
}

/** The one check a probe makes. */
export type ProbeCheck =
  /** A command (split like `cmd`) that must exit 0; run as the program's user, env and workingdir. */
  | { readonly kind: "exec"; readonly argv: readonly string[] }
  /** A GET whose status must equal `status` (any 2xx/3xx when null). */
  | { readonly kind: "http"; readonly url: string; readonly status: number | null }
  /** A TCP connection that must be accepted. */
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  /** A line of the instance's output (stdout or stderr) since its spawn matching this regex. */
  | { readonly kind: "log_line"; readonly pattern: string };

/** A readiness or liveness probe. Times in seconds. */
export interface ProbeConfig {
  readonly check: ProbeCheck;
  /** @default 0 */
  readonly initialDelay: number;
  /** @default 2 */
  readonly period: number;
  /** @default 1 */
  readonly timeout: number;
  /** @default 1 */
  readonly successThreshold: number;
  /** @default 3 */
  readonly failureThreshold: number;
}

/** One program (`programs.<name>`), with every default applied. */
export interface ProgramConfig {
  /** The key under `programs:` (or the `name:` of a `services:` item). */
  readonly name: string;
  /** The command line as written. */
  readonly cmd: string;
  /** `cmd` split like a POSIX shell splits words; never empty. */
  readonly argv: readonly string[];
  /** @default 1 */
  readonly numprocs: number;
  /** Lower starts first and stops last. @default 999 */
  readonly priority: number;
  /** @default true */
  readonly autostart: boolean;
  /** @default "unexpected" */
  readonly autorestart: AutoRestart;
  /** Exit codes that count as expected. @default [0] */
  readonly exitcodes: readonly number[];
  /** Failed starts retried before FATAL. @default 3 */
  readonly startretries: number;
  /** Seconds a process must stay up to count as started. @default 1 */
  readonly starttime: number;
  /** @default "SIGTERM" */
  readonly stopsignal: Deno.Signal;
  /** Seconds between `stopsignal` and SIGKILL. @default 10 */
  readonly stoptime: number;
  readonly stdout: StreamConfig;
  readonly stderr: StreamConfig;
  /** Prefix every captured line with an ISO timestamp. @default false */
  readonly timestamps: boolean;
  /**
   * Seconds a partial line (no newline yet) is kept back in a file shared with
   * other streams, waiting for its rest; 0 writes it at once. @default 0.2
   */
  readonly flushPartialAfter: number;
  /**
   * Whether this program's stdout / stderr chunks are sent to event listeners as
   * PROCESS_LOG_STDOUT / _STDERR (supervisord's `*_events_enabled`). @default false
   */
  readonly stdoutEvents: boolean;
  readonly stderrEvents: boolean;
  /** Added to taskmaster's own environment; values already stringified. */
  readonly env: Readonly<Record<string, string>>;
  /** Absolute working directory, or null to inherit taskmaster's. */
  readonly workingdir: string | null;
  /** The umask as a number (0o022), or null to inherit. */
  readonly umask: number | null;
  /** The account to run as, or null to keep taskmaster's. */
  readonly user: Account | null;
  /** Programs that must meet a condition before this one starts, in file order. @default [] */
  readonly dependsOn: readonly Dependency[];
  /** Gates dependents with `healthy`; status shows READY / NOT READY. @default null */
  readonly readiness: ProbeConfig | null;
  /** `failureThreshold` failures in a row restart the instance. @default null */
  readonly liveness: ProbeConfig | null;
  /** Bytes of RSS (whole process group) above which the instance restarts. @default null */
  readonly maxMemory: number | null;
  /** `x-kubernetes:` settings, used only by `taskmaster export kubernetes`. */
  readonly kubernetes: { readonly image: string | null };
  /** Restarts more than `restarts` times within `within` seconds raise `flapping`; null: never. */
  readonly flap: FlapConfig | null;
}

/** The TCP listener (`taskmaster.http`): dashboard, /v1, /metrics. */
export interface HttpSettings {
  /** Host to bind, as written (`127.0.0.1`, `::1`, `localhost`, `0.0.0.0`). */
  readonly host: string;
  /** 0 picks a free port (logged at start). */
  readonly port: number;
  /** Basic auth user, or null for no authentication (loopback only). */
  readonly username: string | null;
  /** SHA-256 (hex) of the password; the password itself is never kept. */
  readonly passwordSha256: string | null;
  /** HTTPS certificate and key files, absolute; null for plain HTTP. */
  readonly tls: { readonly cert: string; readonly key: string } | null;
}

/** Daemon-wide settings (`taskmaster:`), paths absolute. */
export interface DaemonSettings {
  /** @default "<config dir>/taskmaster.log" */
  readonly logfile: string;
  /** @default 10485760 */
  readonly logfileMaxBytes: number;
  /** @default 5 */
  readonly logfileBackups: number;
  /** @default "info" */
  readonly loglevel: "debug" | "info" | "warning" | "error";
  /** @default "<config dir>/taskmaster.pid" */
  readonly pidfile: string;
  /** @default "<config dir>/taskmaster.sock" */
  readonly socket: string;
  /** Where `auto` output streams go. @default "<config dir>/logs" */
  readonly logdir: string;
  /**
   * `dependencies`: shutdown and `stop all` stop dependents before what they
   * depend on, level by level; `parallel`: everything at once (by priority).
   * @default "dependencies"
   */
  readonly shutdownOrder: "dependencies" | "parallel";
  /** The TCP listener, or null (the default: off). */
  readonly http: HttpSettings | null;
  /** Control connections open at once; one more is closed at once. @default 256 */
  readonly maxConnections: number;
  /** What a dead taskmaster leaves for the next one; null: `taskmaster.state` beside the pidfile. */
  readonly statefile: string | null;
  /**
   * Parent of the instance cgroups (`<cgroup>/<program>/<instance>`); null:
   * `<cgroup2 mount>/taskmaster-<key>/taskmaster` when writable; false: process groups only.
   */
  readonly cgroup: string | false | null;
}

/** One `eventlisteners:` pool (supervisord's `[eventlistener:x]`). */
export interface EventListenerConfig {
  /** Its processes, run like a program's (stdout is the protocol channel). */
  readonly program: ProgramConfig;
  /** Event types subscribed to (abstract ones such as PROCESS_STATE cover their family). */
  readonly events: readonly string[];
  /** Events kept while no listener is ready; the oldest is dropped beyond. @default 10 */
  readonly bufferSize: number;
}

/** A whole configuration file, validated. */
export interface TaskmasterConfig {
  /** Absolute path of the file it was read from. */
  readonly file: string;
  readonly settings: DaemonSettings;
  /** Programs keyed by name, in file order. */
  readonly programs: ReadonlyMap<string, ProgramConfig>;
  /** Event listener pools keyed by name (absent or empty: none). */
  readonly eventlisteners?: ReadonlyMap<string, EventListenerConfig>;
  /** `alerts:`: channels and rules (none when absent). */
  readonly alerts: AlertsConfig;
}
