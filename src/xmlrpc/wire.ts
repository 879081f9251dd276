/**
 * Joins supervisord's XML-RPC interface to a running daemon: the backend
 * the interface calls, and the app the control socket mounts.
 *
 * @module
 */

import type { ReloadReport, SupervisorPort } from "../api/protocol.ts";
import type { TaskmasterConfig } from "../config/types.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";
import type { Hono } from "hono";
import { createSupervisordApp } from "./app.ts";
import type { Group, RpcBackend } from "./backend.ts";
import { SupervisorRpc } from "./supervisor_rpc.ts";

/** What the daemon hands over. */
export interface SupervisordCompatDeps {
  readonly supervisor: Supervisor;
  readonly port: SupervisorPort;
  readonly mainLogPath: () => string;
  readonly loadConfig: () => Promise<
    { ok: true; config: TaskmasterConfig } | { ok: false; errors: string[] }
  >;
  /** The daemon's reload (used by supervisord's `restart`). */
  readonly reload: () => Promise<ReloadReport>;
  readonly log: (level: "info" | "warning" | "error", message: string) => void;
  readonly remoteCommEvent?: (type: string, data: string) => void;
  /** Event listener pools, shown and controlled as groups. */
  readonly extraGroups?: () => Group[];
  /** Event listener pools, for reread/update. */
  readonly pools?: RpcBackend["pools"];
}

/** The interface plus a factory of the app to mount (one per server, for its stream signal). */
export function supervisordCompat(deps: SupervisordCompatDeps): {
  rpc: SupervisorRpc;
  app: (signal: AbortSignal) => Hono;
} {
  const { supervisor, log } = deps;
  const rpc = new SupervisorRpc({
    supervisor,
    port: deps.port,
    mainLogPath: deps.mainLogPath,
    loadConfig: deps.loadConfig,
    remoteCommEvent: deps.remoteCommEvent,
    extraGroups: deps.extraGroups,
    pools: deps.pools,
    applyConfig: async (next) => {
      const report = await supervisor.applyConfig(next);
      log(
        "info",
        `process groups changed over XML-RPC: added [${report.added.join(", ")}], removed [${
          report.removed.join(", ")
        }]`,
      );
      return report;
    },
    restart: async () => {
      log("info", "restart requested over XML-RPC: stopping every program, re-reading the config");
      await supervisor.stop([]);
      try {
        await deps.reload();
      } catch {
        // Already logged by reload: the old config stays.
      }
      // launch() starts only instances never started yet; after a stop every one was.
      const autostart = supervisor.instances().filter((r) => r.config.autostart).map((r) => r.name);
      if (autostart.length > 0) await supervisor.start(autostart);
    },
  });
  return {
    rpc,
    app: (signal) =>
      createSupervisordApp(rpc, {
        signal,
        logPath: (spec, stream) => rpc.logPath(spec, stream),
        mainLogPath: deps.mainLogPath,
      }),
  };
}
