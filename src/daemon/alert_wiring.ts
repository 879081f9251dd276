/**
 * The alert manager as the daemon runs it: fed every state change and
 * every `unhealthy` health event (told before the restart it causes), with
 * the host name and the instance's last log lines for `log_tail`. Alerting
 * must never break supervision: what it throws is logged, not raised.
 *
 * @module
 */

import { AlertManager } from "../alerts/manager.ts";
import type { AlertsConfig } from "../alerts/types.ts";
import { LOG_TAIL_LINES } from "../alerts/payload.ts";
import { readLastLines } from "../output/tail.ts";
import type { Spawner } from "../process/spawner.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";

/** Creates the alert manager and subscribes it to the supervisor. */
export function startAlerts(
  config: AlertsConfig,
  supervisor: Supervisor,
  spawner: Spawner,
  log: (level: "info" | "warning" | "error", message: string) => void,
): AlertManager {
  const alerts = new AlertManager(config, {
    now: () => Date.now(),
    host: hostName(),
    log,
    spawner,
    tail: (name) => instanceTail(supervisor, name),
  });
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
