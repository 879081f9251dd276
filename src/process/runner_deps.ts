/**
 * What the runner is given and what it hands out: its ports to the world
 * ({@link RunnerDeps}), the output pipeline as it sees it, and the live
 * child it reports to the state file. A module of its own so that the
 * daemon, the supervisor and the listener pools wire a runner without
 * importing the class that runs it.
 *
 * @module
 */

import type { StateChange } from "../api/protocol.ts";
import type { ProgramConfig } from "../config/types.ts";
import type { Clock } from "../util/clock.ts";
import type { GroupProbe } from "./group.ts";
import type { ProcessOs } from "./process_os.ts";
import type { Spawner } from "./spawner.ts";
import type { CgroupPort } from "./cgroups.ts";
import type { Pacer } from "../util/turn_pacer.ts";
import type { ByteSource } from "../output/byte_source.ts";

/** Where a stream's bytes go; the output pipeline's view from here. */
export interface StreamTarget {
  readonly path: string | null;
  readonly maxBytes: number;
  readonly backups: number;
  readonly timestamps: boolean;
  readonly flushPartialAfterMs: number;
}

/** The output pipeline, as the runner needs it. */
export interface OutputRelay {
  relay(
    key: string,
    stream: ReadableStream<Uint8Array> | ByteSource,
    target: StreamTarget,
  ): PromiseLike<void>;
  /** Moves a running relay to a new key and file (an instance renamed by numprocs). */
  retarget?(key: string, newKey: string, target: StreamTarget): Promise<void>;
}

/**
 * Whether stdout and stderr name one file: the child then gets one pipe for
 * both (combined output is one stream, in the order the program wrote it).
 */
export function isCombined(targets: { stdout: StreamTarget; stderr: StreamTarget }): boolean {
  return targets.stdout.path !== null && targets.stdout.path === targets.stderr.path;
}

/** A log sink for events. */
export type EventLogger = (level: "info" | "warning" | "error", message: string) => void;

/** The ports of the world a runner's parts reach (the runner's own callbacks apart). */
export interface RunnerPorts {
  readonly spawner: Spawner;
  readonly clock: Clock;
  readonly output: OutputRelay;
  /** Destinations of this instance's stdout and stderr. */
  readonly targets: (config: ProgramConfig, name: string) => {
    stdout: StreamTarget;
    stderr: StreamTarget;
  };
  /** Whether a process group still has live members (after its leader exited). */
  readonly groupAlive: GroupProbe;
  /** Signals, group existence and stat: the runner's only other kernel calls. */
  readonly os: ProcessOs;
  /**
   * The control socket as `unix:///path`: when set, children get
   * supervisord's SUPERVISOR_* variables, so childutils and superlance work.
   */
  readonly serverUrl?: string;
  /** Instance cgroups, where the machine has them; absent: process groups only. */
  readonly cgroups?: CgroupPort | null;
  /** Told after every spawn and every exit of a child (the state file follows). */
  readonly liveChanged?: (change: "spawned" | "exited") => void;
  /**
   * Paces the handling of crashes and timers (each may spawn) across turns
   * of the event loop, shared by every instance; absent: handled at once.
   */
  readonly pacer?: Pacer;
}

/**
 * What a runner is given: its ports, and where its log lines and state
 * changes go. One object serves every runner of a supervisor: the two
 * callbacks are told which `Runner` speaks, so that no runner holds a copy
 * of them (issue 17: ~270 B per instance).
 */
export interface RunnerDeps<Runner = unknown> extends RunnerPorts {
  /** An event about `runner` (the supervisor keeps it in its history too). */
  readonly log: (level: "info" | "warning" | "error", message: string, runner: Runner) => void;
  readonly onChange: (change: StateChange, runner: Runner) => void;
}

/** A live child as the state file records it. */
export interface LiveChild {
  readonly pid: number;
  readonly startTime: string | null;
  readonly cgroup: string | null;
}
