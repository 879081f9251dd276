/**
 * One request to the daemon's own control socket as it starts (right after
 * the body schemas are loaded), on the route a `stop` takes. A daemon's
 * first request with a body compiles what it runs (the body's stream, the
 * JSON parse and schema, the route): 2–3 ms that the first `stop all` paid
 * while its programs kept running (bench/RESULTS.md, "Nineteenth pass").
 * The name it asks for cannot be a program's (a program name has no
 * space), so the answer is a BAD_NAME result and nothing is touched;
 * nothing is logged.
 *
 * Sent as `ctl stop` sends it, through the client's own transport
 * (SocketHttp: HTTP/1.0 on a connection of its own), so the server runs the
 * path a user's command will; the daemon never loads fetch's client for it.
 *
 * @module
 */

import { SocketHttp } from "./_client_http.ts";
import { withTimeout } from "../util/with_timeout.ts";

/** The name asked for: no program or instance can be called this. */
export const WARM_UP_NAME = "taskmaster warm-up";

/**
 * Sends the warm-up request to the socket at `path`. Resolves true once it
 * was answered, false when it was not within `timeoutMs` (or the socket
 * refused, or the answer was an error): it is only a warm-up.
 */
export async function warmControlRequest(path: string, timeoutMs = 2_000): Promise<boolean> {
  const http = new SocketHttp(path);
  try {
    const sent = http.json("/v1/stop", {
      method: "POST",
      json: { names: [WARM_UP_NAME], per_name: true },
    });
    return await withTimeout(sent, timeoutMs).then(() => true, () => false);
  } finally {
    http.close();
  }
}
