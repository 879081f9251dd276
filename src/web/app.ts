/**
 * Everything the TCP listener serves: the dashboard (`/` and its assets,
 * built into the binary), its live feed, `/metrics`, the control API under
 * `/v1` (the same app as the unix socket's) and, when given, a mounted app
 * (supervisord's XML-RPC at `/RPC2`). Every request passes the same gate first: credentials,
 * then cross-origin refusal and the CSRF token for state-changing browser
 * requests; every response carries the security headers.
 *
 * @module
 */

import { TaskmasterError } from "../util/errors.ts";
import { type ControlApp } from "../api/handler.ts";
import { errorResponse } from "../api/_http.ts";
import { openStream, sseComment, sseEvent } from "../api/_stream.ts";
import { ASSETS, indexHtml } from "./assets.ts";
import { dashboardFeed, type DashboardSource } from "./feed.ts";
import { METRICS_CONTENT_TYPE } from "./metrics.ts";
import {
  checkBasicAuth,
  type Credentials,
  crossOriginRefusal,
  csrfRefusal,
  SECURITY_HEADERS,
} from "./security.ts";

/** What the web app needs from the daemon. */
export interface WebDeps {
  /** The control API (`/v1/…`), shared with the unix socket. */
  readonly control: ControlApp;
  readonly dashboard: DashboardSource;
  /** Prometheus text for `/metrics`. */
  metrics(): Promise<string>;
  /** A program's configuration for the dashboard's config view; throws BAD_NAME. */
  programConfig(name: string): unknown;
  /** Another app claiming some paths: supervisord's XML-RPC (`/RPC2`, `/logtail/…`). */
  readonly mount?: { claims(path: string): boolean; readonly app: ControlApp };
  /** null: no authentication (loopback only; the config refuses anything else). */
  readonly credentials: Credentials | null;
  readonly csrfToken: string;
  /** How long a wrong password waits for its 401. @default 1000 */
  readonly failureDelayMs?: number;
  /** Told about each refused login (no secret in it). */
  readonly onAuthFailure?: (message: string) => void;
  /** When aborted, open streams end (server shutdown). */
  readonly closing?: AbortSignal;
  /** SSE keep-alive interval. @default 15000 */
  readonly heartbeatMs?: number;
}

/** The TCP listener's handler; `info` carries the peer's address. */
export interface WebApp {
  fetch(request: Request, info?: { remoteAddr?: { hostname?: string } }): Promise<Response>;
}

const REALM = 'Basic realm="taskmaster", charset="UTF-8"';

/** The handler for every request of the TCP listener. */
export function createWebApp(deps: WebDeps): WebApp {
  return {
    async fetch(request: Request, info?: { remoteAddr?: { hostname?: string } }) {
      const response = await gate(request, deps, info?.remoteAddr?.hostname ?? "?") ??
        await route(request, deps);
      // Streaming bodies keep their headers object mutable in Deno: add ours.
      const headers = new Headers(response.headers);
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) headers.set(name, value);
      return new Response(response.body, {
        status: response.status,
        statusText: response.statusText,
        headers,
      });
    },
  };
}

/** A refusal, or null when the request may go on. */
async function gate(request: Request, deps: WebDeps, remote: string): Promise<Response | null> {
  if (deps.credentials !== null) {
    const result = checkBasicAuth(request.headers.get("authorization"), deps.credentials);
    if (result !== "ok") {
      if (result === "wrong") {
        deps.onAuthFailure?.(`http: wrong credentials from ${remote}, refused`);
        // Slows guessing down to one try per delay per connection.
        await new Promise((resolve) => setTimeout(resolve, deps.failureDelayMs ?? 1000));
      }
      return errorResponse(401, "BAD_REQUEST", "authentication required", {
        "www-authenticate": REALM,
      });
    }
  }
  const crossOrigin = crossOriginRefusal(request);
  if (crossOrigin !== null) return errorResponse(403, "BAD_REQUEST", crossOrigin);
  const csrf = csrfRefusal(request, deps.csrfToken);
  if (csrf !== null) return errorResponse(403, "BAD_REQUEST", csrf);
  return null;
}

async function route(request: Request, deps: WebDeps): Promise<Response> {
  const url = new URL(request.url);
  const path = url.pathname;
  if (path === "/v1" || path.startsWith("/v1/")) return await deps.control.fetch(request);
  if (deps.mount?.claims(path)) return await deps.mount.app.fetch(request);
  const get = request.method === "GET" || request.method === "HEAD";
  if (!get) {
    return errorResponse(405, "BAD_REQUEST", `${request.method} is not allowed on ${path}`, {
      allow: "GET, HEAD",
    });
  }
  if (path === "/" || path === "/index.html") {
    return new Response(indexHtml(deps.csrfToken), {
      headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
    });
  }
  const asset = ASSETS[path];
  if (asset !== undefined) {
    return new Response(asset.body, {
      headers: { "content-type": asset.type, "cache-control": "no-cache" },
    });
  }
  if (path === "/metrics") {
    return new Response(await deps.metrics(), {
      headers: { "content-type": METRICS_CONTENT_TYPE },
    });
  }
  if (path === "/dashboard/feed") {
    return await openStream((signal) => dashboardFeed(deps.dashboard, signal), {
      contentType: "text/event-stream",
      encode: (item) => sseEvent(item.event, item.data),
      prelude: sseComment("taskmaster dashboard"),
      heartbeat: sseComment("keep-alive"),
      encodeError: (error) => sseEvent("log", `dashboard feed ended: ${error}`),
    }, { closing: deps.closing, heartbeatMs: deps.heartbeatMs });
  }
  const config = /^\/dashboard\/config\/([^/]+)$/.exec(path);
  if (config !== null) {
    try {
      return Response.json(deps.programConfig(decodeURIComponent(config[1]!)));
    } catch (error) {
      if (error instanceof TaskmasterError) return errorResponse(404, error.code, error.message);
      throw error;
    }
  }
  return errorResponse(404, "BAD_REQUEST", `no such page: ${path}`);
}
