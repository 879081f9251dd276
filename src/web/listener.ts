/**
 * The TCP listener (`taskmaster.http`): HTTP or HTTPS on host:port, serving
 * the web app. Off unless configured. Its connections go through the same
 * gate as the control socket's (api/connections.ts): a cap on open
 * connections, idle ones closed, and no death by EMFILE — Deno.serve's
 * accept loop has none of those.
 *
 * @module
 */

import { ConnectionGate, type ConnectionInfo, type ConnectionStats } from "../api/connections.ts";
import type { HttpSettings } from "../config/types.ts";
import { TaskmasterError } from "../util/errors.ts";

/** A request handler with the connection's facts. */
export type WebHandler = (request: Request, info: ConnectionInfo) => Promise<Response>;

/** Limits of the listener's connections, as for the control socket. */
export interface WebListenerLimits {
  /** Connections open at once (`taskmaster.max_connections`); more are closed at once. */
  readonly maxConnections: number;
  /** A connection with no request in progress for this long is closed. */
  readonly idleTimeoutMs: number;
  /** Told about refused connections (the running count and why). */
  readonly onRefused?: (refused: number, why: string) => void;
}

/** A running listener. */
export interface WebListener {
  /** `http://127.0.0.1:9001` (the real port when 0 was asked for). */
  readonly url: string;
  readonly port: number;
  /** Connections open now, and refused so far. */
  readonly connections: ConnectionStats;
  /** Stops accepting and waits for open requests (streams end via the app's signal). */
  close(): Promise<void>;
}

/**
 * Listens as configured. Rejects with a TaskmasterError (BAD_CONFIG) naming
 * the key when the TLS files cannot be read or the address cannot be bound.
 */
export async function listenHttp(
  settings: HttpSettings,
  handler: WebHandler,
  onError: (error: unknown) => void,
  limits: WebListenerLimits,
): Promise<WebListener> {
  let tls: { cert: string; key: string } | undefined;
  if (settings.tls !== null) {
    const read = async (key: "cert" | "key") => {
      const path = settings.tls![key];
      try {
        return await Deno.readTextFile(path);
      } catch (error) {
        throw new TaskmasterError(
          "BAD_CONFIG",
          `taskmaster.http.tls.${key}: cannot read ${path}: ${(error as Error).message}`,
        );
      }
    };
    tls = { cert: await read("cert"), key: await read("key") };
  }
  let listener: Deno.Listener<Deno.Conn, Deno.NetAddr>;
  try {
    listener = tls === undefined
      ? Deno.listen({ hostname: settings.host, port: settings.port, transport: "tcp" })
      : Deno.listenTls({ hostname: settings.host, port: settings.port, ...tls });
  } catch (error) {
    const where = `${settings.host}:${settings.port}`;
    const why = error instanceof Deno.errors.AddrInUse
      ? "address already in use"
      : (error as Error).message;
    throw new TaskmasterError(
      "BAD_CONFIG",
      `taskmaster.http.listen: cannot listen on ${where}: ${why}`,
    );
  }
  const gate = new ConnectionGate(
    listener,
    { maxConnections: limits.maxConnections, idleTimeoutMs: limits.idleTimeoutMs },
    handler,
    (error) => {
      onError(error);
      return new Response("internal error", { status: 500 });
    },
    limits.onRefused,
  );
  const port = listener.addr.port;
  const host = settings.host.includes(":") ? `[${settings.host}]` : settings.host;
  return {
    url: `${tls ? "https" : "http"}://${host}:${port}`,
    port,
    get connections() {
      return gate.stats;
    },
    close: () => gate.close(),
  };
}
