/**
 * The TCP listener (`taskmaster.http`): HTTP or HTTPS on host:port, serving
 * the web app. Off unless configured. The unix socket is separate and
 * unchanged.
 *
 * @module
 */

import type { HttpSettings } from "../config/types.ts";
import { TaskmasterError } from "../util/errors.ts";

/** A request handler with the connection's facts. */
export type WebHandler = (
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Promise<Response>;

/** A running listener. */
export interface WebListener {
  /** `http://127.0.0.1:9001` (the real port when 0 was asked for). */
  readonly url: string;
  readonly port: number;
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
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: settings.host,
      port: settings.port,
      ...(tls ?? {}),
      onListen: () => {},
      onError: (error) => {
        onError(error);
        return new Response("internal error", { status: 500 });
      },
    }, handler);
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
  const port = server.addr.port;
  const host = settings.host.includes(":") ? `[${settings.host}]` : settings.host;
  return {
    url: `${tls ? "https" : "http"}://${host}:${port}`,
    port,
    close: async () => {
      await server.shutdown();
    },
  };
}
