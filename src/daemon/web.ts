/**
 * Joins the daemon's parts to the web layer: what the dashboard reads, what
 * `/metrics` reports, and the TCP listener's lifecycle.
 *
 * @module
 */

import type { SupervisorPort } from "../api/protocol.ts";
import { type ControlApp, createApp } from "../api/handler.ts";
import type { HttpSettings, ProgramConfig } from "../config/types.ts";
import type { ResourceMonitor } from "../supervisor/resources.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";
import { VERSION } from "../version.ts";
import { createWebApp } from "../web/app.ts";
import type { DashboardSource } from "../web/feed.ts";
import { listenHttp, type WebListener, type WebListenerLimits } from "../web/listener.ts";
import { type InstanceMetrics, renderMetrics } from "../web/metrics.ts";
import { newCsrfToken } from "../web/security.ts";
import type { EventLog } from "./event_log.ts";
import type { DaemonStats } from "./stats.ts";

export { DaemonStats } from "./stats.ts";

/** The daemon's parts the web layer reads from. */
export interface WebParts {
  readonly port: SupervisorPort;
  readonly supervisor: Supervisor;
  readonly resources: ResourceMonitor;
  readonly log: EventLog;
  readonly stats: DaemonStats;
  readonly configFile: () => string;
  /** supervisord's XML-RPC (`/RPC2`, `/logtail/…`), when there is one: its paths and app factory. */
  readonly mount?: {
    claims(path: string): boolean;
    app(signal: AbortSignal): ControlApp;
  };
}

/** Prometheus text of every instance and the daemon. */
export async function daemonMetrics(parts: WebParts): Promise<string> {
  const infos = await parts.port.status();
  const runners = new Map(parts.supervisor.instances().map((r) => [r.name, r]));
  const instances: InstanceMetrics[] = infos.map((info) => ({
    info,
    exits: runners.get(info.name)?.counters.exits ?? { expected: 0, unexpected: 0 },
    cpuSeconds: info.pid === null ? 0 : parts.resources.usage(info.name).cpuSeconds,
  }));
  return renderMetrics(instances, {
    version: VERSION,
    startTime: parts.stats.startTime,
    reloads: { succeeded: parts.stats.reloadsSucceeded, failed: parts.stats.reloadsFailed },
    configErrors: parts.stats.configErrors,
  });
}

/**
 * A program's configuration as the dashboard shows it. Environment values
 * are hidden (they often hold secrets); their names are shown.
 */
export function publicProgramConfig(config: ProgramConfig): Record<string, unknown> {
  return {
    ...config,
    env: Object.fromEntries(Object.keys(config.env).map((k) => [k, "(hidden)"])),
    user: config.user?.name ?? null,
    umask: config.umask === null ? null : config.umask.toString(8).padStart(3, "0"),
  };
}

/** Starts the TCP listener; its close() also ends open dashboard streams. */
export async function startWebListener(
  settings: HttpSettings,
  parts: WebParts,
  limits: WebListenerLimits,
): Promise<WebListener> {
  const closing = new AbortController();
  const dashboard: DashboardSource = {
    status: (names) => parts.port.status(names),
    watchResources: () => parts.resources.watch(),
    onSample: (listener) => parts.resources.onSample(listener),
    onChange: (listener) => parts.supervisor.onChange(listener),
    onLog: (listener) => parts.log.subscribe(listener),
    history: (name) => parts.resources.history(name),
    daemon: () => ({ pid: Deno.pid, version: VERSION, file: parts.configFile() }),
  };
  const app = createWebApp({
    control: createApp(parts.port, {
      signal: closing.signal,
      onInternalError: (error) => parts.log.write("error", `http: internal error: ${error}`),
    }),
    dashboard,
    metrics: () => daemonMetrics(parts),
    programConfig: (name) => publicProgramConfig(parts.supervisor.instance(name).config),
    ...(parts.mount
      ? { mount: { claims: parts.mount.claims, app: parts.mount.app(closing.signal) } }
      : {}),
    credentials: settings.username !== null && settings.passwordSha256 !== null
      ? { username: settings.username, passwordSha256: settings.passwordSha256 }
      : null,
    csrfToken: newCsrfToken(),
    onAuthFailure: (message) => parts.log.write("warning", message),
    closing: closing.signal,
  });
  const listener = await listenHttp(
    settings,
    (request, { remoteAddr }) =>
      app.fetch(request, remoteAddr && "hostname" in remoteAddr ? { remoteAddr } : {}),
    (error) => parts.log.write("error", `http: ${error}`),
    limits,
  );
  parts.log.write(
    "info",
    `http: listening on ${listener.url} (dashboard /, API /v1, metrics /metrics)${
      settings.username === null ? ", no authentication (loopback)" : ""
    }`,
  );
  return {
    ...listener,
    close: async () => {
      closing.abort();
      await listener.close();
    },
  };
}
