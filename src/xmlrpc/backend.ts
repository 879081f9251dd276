/**
 * What supervisord's XML-RPC interface needs from the daemon, and the one
 * shape every part of it sees a group in. Its own module so the method
 * families (process control, logs, reread/update) can take it without
 * importing the dispatcher that holds them.
 *
 * @module
 */

import type { SupervisorPort } from "../api/protocol.ts";
import type { EventListenerConfig, ProgramConfig, TaskmasterConfig } from "../config/types.ts";
import type { ProcessRunner } from "../process/runner.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";

/** What the interface needs from the daemon. */
export interface RpcBackend {
  readonly supervisor: Supervisor;
  /** clear, sendStdin and shutdown go through the daemon's port. */
  readonly port: Pick<SupervisorPort, "clear" | "sendStdin" | "shutdown">;
  /** The event log (supervisord's main log). */
  mainLogPath(): string;
  /** Reads and validates the config file again, without applying it. */
  loadConfig(): Promise<{ ok: true; config: TaskmasterConfig } | { ok: false; errors: string[] }>;
  /** Applies a config (used by add/removeProcessGroup). */
  applyConfig(next: TaskmasterConfig): Promise<unknown>;
  /** supervisord's `restart`: stop everything, re-read the config, start again. */
  restart(): Promise<void>;
  /** `sendRemoteCommEvent`, when event listeners exist. */
  remoteCommEvent?(type: string, data: string): void;
  /** Epoch ms. */
  now?(): number;
  /** Groups the supervisor does not hold (event listener pools): shown and controlled too. */
  extraGroups?(): Group[];
  /** The event listener pools, so reread/update/add/remove apply to them as to programs. */
  readonly pools?: {
    configs(): ReadonlyMap<string, EventListenerConfig>;
    reconfigure(next: ReadonlyMap<string, EventListenerConfig>): Promise<unknown>;
  };
}

/** A supervisord process group: a program, or an event listener pool. */
export interface Group {
  readonly name: string;
  readonly config: ProgramConfig;
  readonly runners: ProcessRunner[];
}
