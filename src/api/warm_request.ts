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
 * A few bytes of HTTP/1.1 on a unix connection rather than fetch(): the
 * daemon never loads Deno's HTTP client for this.
 *
 * @module
 */

/** The name asked for: no program or instance can be called this. */
export const WARM_UP_NAME = "taskmaster warm-up";

const BODY = JSON.stringify({ names: [WARM_UP_NAME], per_name: true });
const HEAD = "POST /v1/stop HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
  "Connection: close\r\nContent-Length: ";
const REQUEST = `${HEAD}${new TextEncoder().encode(BODY).byteLength}\r\n\r\n${BODY}`;

/**
 * Sends the warm-up request to the socket at `path` and reads the answer to
 * its end. Resolves with the answer's HTTP status, or null when there was
 * none within `timeoutMs` (or the socket refused): it is only a warm-up.
 */
export async function warmControlRequest(path: string, timeoutMs = 2_000): Promise<number | null> {
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({ transport: "unix", path });
  } catch {
    return null;
  }
  const timer = setTimeout(() => close(conn), timeoutMs);
  try {
    const request = new TextEncoder().encode(REQUEST);
    for (let written = 0; written < request.byteLength;) {
      written += await conn.write(request.subarray(written));
    }
    // The status line is all it needs; the rest is read to the end and dropped.
    const buffer = new Uint8Array(512);
    let head = "";
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      if (head.length < 16) head += new TextDecoder().decode(buffer.subarray(0, n));
    }
    const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
    return status === undefined ? null : Number(status);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
    close(conn);
  }
}

function close(conn: Deno.UnixConn): void {
  try {
    conn.close();
  } catch {
    // Closed already, by the timer of a request that got no answer.
  }
}
