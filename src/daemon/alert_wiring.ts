/**
 * The alert manager as the daemon runs it: fed every state change and
 * every `unhealthy` health event (told before the restart it causes), with
 * the host name and the instance's last log lines for `log_tail`. Alerting
 * must never break supervision: what it throws is logged, not raised.
 *
 * The manager and its channels load only once an `alerts:` section names a
 * channel or a rule (at start, by a reload, or for `alerts test`): a daemon
 * without alerts never holds them (issue 17: an idle daemon's memory).
 *
 * @module
 */

import type { AlertManager, InstanceView } from "../alerts/manager.ts";
import {
  type AlertEventName,
  type AlertsConfig,
  type ChannelStats,
  LOG_TAIL_LINES,
  NO_ALERTS,
} from "../alerts/types.ts";
import type { AlertTestResult } from "../api/protocol.ts";
import { readLastLines } from "../output/tail.ts";
import type { Spawner } from "../process/spawner.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";

type Log = (level: "info" | "warning" | "error", message: string) => void;

/** The daemon's alerting: an {@link AlertManager} once one is needed, nothing before. */
export class DaemonAlerts {
  readonly #supervisor: Supervisor;
  readonly #spawner: Spawner;
  readonly #log: Log;
  #manager: AlertManager | null = null;
  #module: typeof import("../alerts/manager.ts") | null = null;
  /** Each instance's last pid, kept until a manager exists (it names them in payloads). */
  #lastPid = new Map<string, number>();

  constructor(supervisor: Supervisor, spawner: Spawner, log: Log) {
    this.#supervisor = supervisor;
    this.#spawner = spawner;
    this.#log = log;
  }

  /** Loads the manager's code when `config` needs it; call before {@link configure}. */
  async prepare(config: AlertsConfig): Promise<void> {
    if (this.#module === null && needsManager(config)) {
      this.#module = await import("../alerts/manager.ts");
    }
  }

  /** Applies a (re)loaded `alerts:` section (after {@link prepare} with it). */
  configure(config: AlertsConfig): void {
    if (this.#manager !== null) this.#manager.configure(config);
    else if (this.#module !== null && needsManager(config)) this.#create(this.#module, config);
  }

  processChange(change: Parameters<AlertManager["processChange"]>[0], view: InstanceView): void {
    if (this.#manager !== null) this.#manager.processChange(change, view);
    else if (change.pid !== null) this.#lastPid.set(change.name, change.pid);
  }

  instanceEvent(event: AlertEventName, name: string, view: InstanceView, reason: string): void {
    this.#manager?.instanceEvent(event, name, view, reason);
  }

  daemonEvent(event: AlertEventName, description: string): void {
    this.#manager?.daemonEvent(event, description);
  }

  /** `alerts test CHANNEL`: loads the manager if need be, for its exact answer. */
  async test(channel: string): Promise<AlertTestResult> {
    this.#module ??= await import("../alerts/manager.ts");
    const manager = this.#manager ?? this.#create(this.#module, null);
    return await manager.test(channel);
  }

  stats(): ChannelStats[] {
    return this.#manager?.stats() ?? [];
  }

  async close(ms: number): Promise<void> {
    await this.#manager?.close(ms);
  }

  #create(module: typeof import("../alerts/manager.ts"), config: AlertsConfig | null) {
    const manager = new module.AlertManager(config ?? NO_ALERTS, {
      now: () => Date.now(),
      host: hostName(),
      log: this.#log,
      spawner: this.#spawner,
      tail: (name) => instanceTail(this.#supervisor, name),
    });
    manager.rememberPids(this.#lastPid);
    this.#lastPid = new Map();
    this.#manager = manager;
    return manager;
  }
}

function needsManager(config: AlertsConfig): boolean {
  return config.channels.size > 0 || config.rules.length > 0;
}

/** Creates the daemon's alerting and subscribes it to the supervisor. */
export async function startAlerts(
  config: AlertsConfig,
  supervisor: Supervisor,
  spawner: Spawner,
  log: Log,
): Promise<DaemonAlerts> {
  const alerts = new DaemonAlerts(supervisor, spawner, log);
  await alerts.prepare(config);
  alerts.configure(config);
  const failed = (error: unknown) =>
    log("error", `alerts: ${error instanceof Error ? error.message : String(error)}`);
  supervisor.onTransition((change, runner) => {
    try {
      alerts.processChange(change, {
        snapshot: runner.snapshot,
        config: runner.config,
        description: () => runner.info().description,
      });
    } catch (error) {
      failed(error);
    }
  });
  supervisor.onHealth((event, runner) => {
    if (event.kind !== "unhealthy") return;
    try {
      alerts.instanceEvent("unhealthy", event.name, {
        snapshot: runner.snapshot,
        config: runner.config,
        description: () => runner.info().description,
      }, event.reason);
    } catch (error) {
      failed(error);
    }
  });
  return alerts;
}

function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

/** The last lines of an instance's stdout and stderr, for an alert's `log_tail`. */
async function instanceTail(
  supervisor: Supervisor,
  name: string,
): Promise<{ stdout: string[]; stderr: string[] }> {
  const info = supervisor.instance(name).info();
  const read = async (path: string | null) =>
    path === null
      ? []
      : (await readLastLines(path, LOG_TAIL_LINES, { maxBytes: 64 * 1024 })).split("\n")
        .filter((line, i, all) => !(i === all.length - 1 && line === ""));
  const [stdout, stderr] = await Promise.all([read(info.stdout), read(info.stderr)]);
  return { stdout, stderr: info.stderr === info.stdout ? [] : stderr };
}
