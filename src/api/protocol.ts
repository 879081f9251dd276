/**
 * What travels between a supervisor and whoever drives it: the foreground
 * shell in the same process, or `taskmaster ctl` over the unix socket. Both
 * sides speak through {@link SupervisorPort}, so every shell command works the
 * same locally and remotely. It imports only the domain's leaves: the
 * process states and the error codes.
 *
 * @module
 */

import type { ProcessState } from "../process/state.ts";
import type { ErrorCode } from "../util/errors.ts";

/** A snapshot of one process instance, as `status --json` prints it. */
export interface ProcessInfo {
  /** Instance name: `web` when numprocs is 1, else `web:0` … `web:N-1`. */
  readonly name: string;
  /** The program (`programs.<name>`) this instance belongs to. */
  readonly program: string;
  /** 0-based instance number. */
  readonly index: number;
  readonly state: ProcessState;
  /** The live child's pid, else null. */
  readonly pid: number | null;
  /** Exit code of the last exit, null if never exited or killed by a signal. */
  readonly exitcode: number | null;
  /** Signal name that ended the last run (`SIGKILL`), else null. */
  readonly signal: string | null;
  /** Seconds since the live child was spawned, else null. */
  readonly uptime: number | null;
  /** Why the last start failed (`can't find command 'x'`), else null. */
  readonly spawnerr: string | null;
  /** One human line: `pid 42, uptime 0:01:02`, `exit status 1 (not expected)`… */
  readonly description: string;
  /** Epoch ms of the last spawn, else null. */
  readonly startedAt: number | null;
  /** Epoch ms of the last exit or stop, else null. */
  readonly stoppedAt: number | null;
  /** Absolute stdout/stderr file paths, null when discarded. */
  readonly stdout: string | null;
  readonly stderr: string | null;
  /**
   * CPU use of the whole process group (or cgroup), in percent of one core,
   * over the last sampling interval; 0 when not running.
   */
  readonly cpu_percent: number;
  /** Resident memory of the whole process group (or cgroup); 0 when not running. */
  readonly rss_bytes: number;
  /** Spawns after the first since taskmaster started (automatic and by hand). */
  readonly restarts: number;
  /** Epoch seconds of the last spawn, else null. */
  readonly started_at: number | null;
  /**
   * Bytes of output that could not be written to each stream's file (a full
   * disk) since the daemon started; combined output counts under stdout.
   */
  readonly dropped_bytes?: { readonly stdout: number; readonly stderr: number };
  /**
   * WAITING or BLOCKED: the unmet dependencies, `db (healthy), migrate
   * (completed_successfully)`; null in every other state.
   */
  readonly waiting_for?: string | null;
  /** BLOCKED: why (`db is FATAL`); null in every other state. */
  readonly blocked_by?: string | null;
  /** Whether the readiness probe passes (READY); null without a readiness probe. */
  readonly ready?: boolean | null;
  /**
   * Why taskmaster last restarted it for its health (`liveness failed 3
   * times: HTTP 503`, `max_memory exceeded: …`); null after a user start or an exit.
   */
  readonly restart_reason?: string | null;
  /** The instance's cgroup directory, null without cgroups (or before its first spawn). */
  readonly cgroup?: string | null;
  /** Live processes in that cgroup (the program and every descendant), null without one. */
  readonly processes?: number | null;
}

/** How errors travel on the wire: `{ "error": { "code", "message" } }`. */
export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string };
}

/**
 * The outcome of start/stop/restart/signal/clear for one instance (or, with
 * {@link ActionOptions.perName}, for one name that matched nothing).
 */
export interface ActionResult {
  /** Instance name (or the unknown name, for a BAD_NAME result). */
  readonly name: string;
  /** `started`, `stopped`, `signalled` on success. */
  readonly ok: boolean;
  /** Present when ok is false. */
  readonly error?: { readonly code: ErrorCode; readonly message: string };
  /** Why it was acted on when not named: `depends on db` (stopped before db). */
  readonly note?: string;
  /**
   * restart only: the steps it took for this instance, in order. `["stop",
   * "start"]` for one that was running, `["start"]` for one that was not;
   * `ok` and `error` are the last step's.
   */
  readonly steps?: readonly RestartStep[];
  /**
   * A start still held in WAITING when the start stopped waiting (30 s): what
   * it waits for, `db (healthy)`. It starts by itself once they are met.
   */
  readonly waiting?: string;
}

/** One step of a restart. */
export type RestartStep = "stop" | "start";

/** Options of start, stop, restart, signal and clear. */
export interface ActionOptions {
  /**
   * start and stop: act on the named processes alone: `start` spawns without
   * waiting for dependencies or starting them; `stop` leaves dependents running.
   */
  readonly noDeps?: boolean;
  /**
   * Answer name by name, as supervisorctl does: a name that matches nothing
   * becomes a BAD_NAME result (and, for signal, a bad signal a BAD_SIGNAL
   * result per target) while the other names are still acted on. Without
   * it, one unknown name (or a bad signal) fails the whole call and nothing
   * is done.
   */
  readonly perName?: boolean;
}

/** What a reload did, program names sorted within each list. */
export interface ReloadReport {
  /** New programs (started when autostart). */
  readonly added: readonly string[];
  /** Programs whose spawn options changed: restarted. */
  readonly changed: readonly string[];
  /** Programs where only monitoring options or numprocs changed: no restart. */
  readonly updated: readonly string[];
  /** Programs no longer in the file: stopped and forgotten. */
  readonly removed: readonly string[];
  /** Programs left exactly as they were. */
  readonly unchanged: readonly string[];
}

/** A state change, as streamed to watchers and written to the event log. */
export interface StateChange {
  readonly name: string;
  readonly program: string;
  readonly from: ProcessState;
  readonly to: ProcessState;
  readonly pid: number | null;
  /** Epoch ms. */
  readonly at: number;
}

/**
 * The one wording for a single-instance command (tail, attach, stdin,
 * GET /processes/{name}) given a program of several instances:
 * `web names 2 instances: web:0, web:1`.
 */
export function severalInstancesMessage(name: string, instances: readonly string[]): string {
  return `${name} names ${instances.length} instances: ${instances.join(", ")}`;
}

/** Which output stream of a process. */
export type StreamName = "stdout" | "stderr";

/**
 * Everything the shell (local or remote) can ask of a supervisor.
 * Methods reject with a `TaskmasterError` for caller mistakes
 * (`BAD_NAME`, `SHUTTING_DOWN`, `BAD_CONFIG`…); per-instance failures of
 * an action come back as {@link ActionResult}s instead.
 */
export interface SupervisorPort {
  /** Processes matching names (program, instance, or `all`); none means all. */
  status(names?: readonly string[]): Promise<ProcessInfo[]>;
  /**
   * The same list as JSON text (`status` serialized), produced a slice at a
   * time as it is read, where the port can: with thousands of instances no
   * record outlives its slice. Rejects like `status` for a bad name.
   */
  statusJson?(names?: readonly string[]): Promise<ReadableStream<Uint8Array>>;
  /**
   * Resolves when each target is RUNNING or has failed to start (or is
   * BLOCKED). Unmet dependencies are started first, unless `noDeps`.
   */
  start(names: readonly string[], options?: ActionOptions): Promise<ActionResult[]>;
  /**
   * Resolves when each target is STOPPED (and its whole process group is
   * gone). Running dependents are stopped first, unless `noDeps`.
   */
  stop(names: readonly string[], options?: ActionOptions): Promise<ActionResult[]>;
  /**
   * stop then start: one result per instance, whose `steps` say whether it
   * was stopped first (it was running) or only started.
   */
  restart(names: readonly string[], options?: ActionOptions): Promise<ActionResult[]>;
  /** Sends a signal (`HUP`, `SIGHUP` or a number) to each target's main process. */
  signal(
    signal: string,
    names: readonly string[],
    options?: ActionOptions,
  ): Promise<ActionResult[]>;
  /** Re-reads the config file and applies the difference; BAD_CONFIG if invalid. */
  reload(): Promise<ReloadReport>;
  /** Stops every program, then the daemon exits 0. */
  shutdown(): Promise<void>;
  /** The supervising process's pid. */
  daemonPid(): Promise<number>;
  /** taskmaster's version string. */
  version(): Promise<string>;
  /** The last `lines` lines of one stream of one instance (NO_FILE when discarded). */
  tail(name: string, stream: StreamName, lines: number): Promise<string>;
  /**
   * Live output of one stream of one instance until the signal aborts.
   * Resolves once the stream is live (nothing written after is missed), or
   * rejects (BAD_NAME…) before anything is streamed, so an adapter knows
   * which answer to give before it gives one. The first chunk is empty: it
   * says the same to whoever reads the iterable alone.
   */
  follow(
    name: string,
    stream: StreamName,
    signal: AbortSignal,
  ): Promise<AsyncIterable<Uint8Array>>;
  /** The last `lines` lines of the event log. */
  logTail(lines: number): Promise<string>;
  /** Live event log lines until the signal aborts; resolves once live, as {@link follow}. */
  logFollow(signal: AbortSignal): Promise<AsyncIterable<string>>;
  /** Writes bytes to one instance's stdin (NOT_RUNNING if it has no live child). */
  sendStdin(name: string, data: Uint8Array): Promise<void>;
  /** Truncates the log files of the targets (`clear`). */
  clear(names: readonly string[], options?: ActionOptions): Promise<ActionResult[]>;
  /** Live state changes until the signal aborts; resolves once live, as {@link follow}. */
  events(signal: AbortSignal): Promise<AsyncIterable<StateChange>>;
  /**
   * One paragraph explaining an instance's current state from its recorded
   * events: why it is not running, what it waits for, why it was last
   * restarted, when its next retry is.
   */
  why(name: string): Promise<string>;
  /** Delivery counters of every alert channel (none configured: empty). */
  alerts?(): Promise<AlertChannelStats[]>;
  /** Sends a sample alert through one channel (BAD_NAME if there is no such channel). */
  alertTest?(channel: string): Promise<AlertTestResult>;
}

/** One alert channel's delivery counters (`GET /v1/alerts`, `status --json`). */
export interface AlertChannelStats {
  readonly name: string;
  /** `webhook`, `email`, `syslog` or `exec`. */
  readonly type: "webhook" | "email" | "syslog" | "exec";
  /** Messages delivered. */
  readonly sent: number;
  /** Messages that failed after every retry. */
  readonly failed: number;
  /** Messages dropped because the channel's queue was full. */
  readonly dropped: number;
  /** Messages waiting now. */
  readonly queued: number;
  /** The last delivery error (secrets replaced by `***`), or null. */
  readonly last_error: string | null;
  /** ISO time of the last error, or null. */
  readonly last_error_at: string | null;
}

/** The outcome of `alert test CHANNEL`. */
export interface AlertTestResult {
  readonly channel: string;
  readonly ok: boolean;
  /** The exact delivery error when ok is false. */
  readonly error?: string;
}
