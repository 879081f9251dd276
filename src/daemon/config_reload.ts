/**
 * A reload as the daemon does it (SIGHUP, `reload`, XML-RPC): the file is
 * parsed off the event loop (supervision goes on while a big file is
 * parsed); an invalid one changes nothing and says why (event log, the
 * rejection counter, a `config_error` alert); a valid one is applied to the
 * supervisor, the alerts and the event listener pools, and summarized.
 *
 * @module
 */

import type { ReloadReport } from "../api/protocol.ts";
import type { DaemonAlerts } from "./alert_wiring.ts";
import type { TaskmasterConfig } from "../config/types.ts";
import { loadConfigOffThread } from "../config/load_off_thread.ts";
import type { EventListeners } from "../events/listener_pools.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";
import { TaskmasterError } from "../util/errors.ts";
import { type DaemonOptions, loadWithOverrides, warnAboutDaemonSettings } from "./daemon_config.ts";
import type { EventLog } from "./event_log.ts";
import type { DaemonStats } from "./stats.ts";

/** What a reload reads and changes. */
export interface ReloadParts {
  readonly options: DaemonOptions;
  readonly supervisor: Supervisor;
  readonly listeners: EventListeners;
  readonly alerts: DaemonAlerts;
  readonly stats: DaemonStats;
  readonly log: EventLog;
  /** The configuration in force. */
  readonly current: () => TaskmasterConfig;
  /** Told once a new configuration is in force. */
  readonly applied: (config: TaskmasterConfig) => void;
}

/** The daemon's reload function. */
export function configReloader(parts: ReloadParts): () => Promise<ReloadReport> {
  const { supervisor, log, stats, alerts } = parts;
  return async () => {
    if (supervisor.shuttingDown) {
      throw new TaskmasterError("SHUTTING_DOWN", "taskmaster is shutting down");
    }
    const next = await loadWithOverrides(parts.options, loadConfigOffThread);
    if (!next.ok) {
      log.write(
        "error",
        `reload rejected: ${parts.current().file} is invalid; nothing was changed`,
      );
      for (const line of next.errors) log.write("error", `reload rejected: ${line}`);
      stats.rejected(next.errors.length);
      alerts.daemonEvent(
        "config_error",
        `reload rejected, nothing was changed: ${next.errors.join("; ")}`,
      );
      throw new TaskmasterError("BAD_CONFIG", next.errors.join("\n"));
    }
    warnAboutDaemonSettings(parts.current(), next.config, (m) => log.write("warning", m));
    // Its code loads before anything changes: no event of the new config goes unseen.
    await alerts.prepare(next.config.alerts);
    const report = await supervisor.applyConfig(next.config);
    parts.applied(next.config);
    const config = next.config;
    stats.reloaded();
    alerts.configure(config.alerts);
    const summary = `config reloaded from ${config.file}: added [${
      report.added.join(", ")
    }], changed [${report.changed.join(", ")}], updated [${report.updated.join(", ")}], removed [${
      report.removed.join(", ")
    }], unchanged [${report.unchanged.join(", ")}]`;
    log.write("info", summary);
    const pools = await parts.listeners.reconfigure(config.eventlisteners ?? new Map());
    if (pools.added.length + pools.changed.length + pools.removed.length > 0) {
      log.write(
        "info",
        `event listener pools: added [${pools.added.join(", ")}], changed [${
          pools.changed.join(", ")
        }], removed [${pools.removed.join(", ")}]`,
      );
    }
    alerts.daemonEvent("config_reloaded", summary);
    return report;
  };
}
