/**
 * Serves the control API (handler.ts) on a unix socket that only its owner
 * can use. Before listening it makes sure it replaces nothing it should not:
 * a socket left by a crashed daemon is removed, a live one is refused, and
 * anything that is not a socket is never deleted.
 *
 * @module
 */

import { type SupervisorPort } from "./protocol.ts";
import { TaskmasterError } from "../util/errors.ts";
import { type AppOptions, type ControlApp, createApp } from "./handler.ts";
import { describeOwner, foreignOwner } from "./socket_owner.ts";
import { ConnectionGate, type ConnectionStats } from "./connections.ts";

/** sun_path is 108 bytes on Linux, one of them the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;
/** How long a socket that accepted the probe's connection has to answer. */
const PROBE_TIMEOUT_MS = 2_000;
/** Default cap on control connections open at once (`taskmaster.max_connections`). */
export const DEFAULT_MAX_CONNECTIONS = 256;
/** A connection with no request in progress is closed after this long. */
export const IDLE_TIMEOUT_MS = 30_000;

/** A running control API server. */
export interface ControlServer {
  /** The socket file it listens on. */
  readonly path: string;
  /** Connections open now, and refused so far. */
  readonly stats: ConnectionStats;
  /**
   * Stops accepting, ends every open stream, waits for in-flight requests to
   * be answered, and removes the socket file. Idempotent. An in-flight
   * `shutdown` request is waited for too: do not await close() from inside
   * the port's shutdown().
   */
  close(): Promise<void>;
}

/** Options for {@link serveControlApi}. */
export interface ServeOptions {
  /** The socket file to create (at most 107 bytes). */
  readonly path: string;
  /** Interval of SSE keep-alive comments. @default 15000 */
  readonly heartbeatMs?: number;
  /** Told about errors that are bugs (they answer 500 INTERNAL). */
  readonly onInternalError?: AppOptions["onInternalError"];
  /**
   * Another app served on the same socket for the paths it claims
   * (supervisord's /RPC2 and /logtail); built with the signal that ends
   * its streams at close().
   */
  readonly mount?: {
    readonly claims: (pathname: string) => boolean;
    readonly app: (signal: AbortSignal) => ControlApp;
  };
  /** Connections open at once; more are closed as soon as accepted. @default 256 */
  readonly maxConnections?: number;
  /** @default 30000 */
  readonly idleTimeoutMs?: number;
  /** Told each time a connection is refused, with the running count. */
  readonly onRefused?: (refused: number, why: string) => void;
}

/**
 * Listens on `options.path` and serves `port` there. Rejects with a
 * TaskmasterError (`BAD_ARGUMENTS`) when the path is too long, is used by a
 * live server, is not a socket, or cannot be bound.
 */
export async function serveControlApi(
  port: SupervisorPort,
  options: ServeOptions,
): Promise<ControlServer> {
  const { path } = options;
  const bytes = new TextEncoder().encode(path).byteLength;
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new TaskmasterError(
      "BAD_ARGUMENTS",
      `socket path too long (${bytes} bytes, the limit is ${MAX_SOCKET_PATH_BYTES}): ${path}`,
    );
  }
  await clearStaleSocket(path);

  const endStreams = new AbortController();
  const app = createApp(port, {
    signal: endStreams.signal,
    heartbeatMs: options.heartbeatMs,
    onInternalError: options.onInternalError,
    connections: () => gate.stats,
  });
  const mounted = options.mount === undefined
    ? null
    : { claims: options.mount.claims, app: options.mount.app(endStreams.signal) };
  const inFlight = new Set<Promise<void>>();
  let listener: Deno.Listener;
  // Deno creates the socket with mode 0777 & ~umask: with umask 0177 it is
  // 0600 from its first instant, so no one else can connect in between. The
  // bind is synchronous and no other JS runs before the umask is restored.
  const previousUmask = Deno.umask(0o177);
  try {
    listener = Deno.listen({ transport: "unix", path });
  } catch (error) {
    throw bindError(path, error);
  } finally {
    Deno.umask(previousUmask);
  }
  const gate = new ConnectionGate(
    listener,
    {
      maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      idleTimeoutMs: options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    },
    (request, info) => {
      // Tracked so close() can let answers finish before the listener stops.
      const done = info.completed.catch(() => {}).finally(() => inFlight.delete(done));
      inFlight.add(done);
      if (mounted !== null && mounted.claims(new URL(request.url).pathname)) {
        return Promise.resolve(mounted.app.fetch(request));
      }
      return Promise.resolve(app.fetch(request));
    },
    (error) => {
      options.onInternalError?.(error);
      return Response.json({ error: { code: "INTERNAL", message: "internal error" } }, {
        status: 500,
      });
    },
    options.onRefused,
  );
  // Belt and braces: a umask that did not apply (another platform) is fixed here.
  await Deno.chmod(path, 0o600);
  const inode = (await Deno.lstat(path)).ino;

  let closing: Promise<void> | null = null;
  return {
    path,
    get stats() {
      return gate.stats;
    },
    close() {
      closing ??= (async () => {
        // Streams first, and only then the listener: aborting Deno.serve while
        // a streamed body is open drops the connection mid-body, and clients
        // would see a broken stream instead of a clean end.
        endStreams.abort();
        while (inFlight.size > 0) await Promise.all(inFlight);
        // Graceful: a connection whose answer is still being written (the
        // answer to POST /v1/shutdown itself) is ended only after it.
        await gate.close();
        await removeIfOurs(path, inode);
      })();
      return closing;
    },
  };
}

/** Deno removes the socket on close; this covers a crash-free path it missed. */
async function removeIfOurs(path: string, inode: number | null): Promise<void> {
  try {
    const info = await Deno.lstat(path);
    // Another daemon may have taken the path over since: leave its socket.
    if (info.isSocket && info.ino === inode) await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** What to do about a socket path that is taken. */
const SOCKET_HINT = "; choose another with --socket PATH or taskmaster.socket in the config";

function bindError(path: string, error: unknown): TaskmasterError {
  if (error instanceof Deno.errors.AddrInUse) {
    return new TaskmasterError("BAD_ARGUMENTS", `socket ${path} is in use${SOCKET_HINT}`);
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new TaskmasterError("BAD_ARGUMENTS", `cannot listen on socket ${path}: ${reason}`);
}

/**
 * Makes `path` free to bind, or throws: nothing there → fine; a socket no
 * one listens on (connection refused) → left by a dead daemon, removed; a
 * socket that accepts → in use, refused with the owner's pid when it is a
 * taskmaster; anything else → refused and left alone.
 */
async function clearStaleSocket(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw new TaskmasterError(
      "BAD_ARGUMENTS",
      `cannot use socket path ${path}: ${(error as Error).message}`,
    );
  }
  // Whoever owns the name may be waiting for our commands or our removal: neither.
  const owner = foreignOwner(path, { allowRoot: false });
  if (owner !== null) {
    throw new TaskmasterError(
      "BAD_ARGUMENTS",
      `socket path ${path} belongs to ${
        describeOwner(owner)
      }, not to us; refusing to use or remove it (choose another --socket or taskmaster.socket, in a directory only you can write)`,
    );
  }
  if (!info.isSocket) {
    throw new TaskmasterError(
      "BAD_ARGUMENTS",
      `${path} exists and is not a socket; refusing to replace it (remove it or choose another --socket)`,
    );
  }
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({ transport: "unix", path });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return; // gone since the lstat
    if (error instanceof Deno.errors.ConnectionRefused) {
      await Deno.remove(path).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
      return;
    }
    // EACCES and the like: cannot tell whether it is live, so keep it.
    throw new TaskmasterError(
      "BAD_ARGUMENTS",
      `socket ${path} exists and cannot be probed (${
        (error as Error).message
      }); refusing to replace it`,
    );
  }
  conn.close();
  const pid = await probeTaskmasterPid(path);
  throw new TaskmasterError(
    "BAD_ARGUMENTS",
    pid === null
      ? `socket ${path} is in use by another program${SOCKET_HINT}`
      : `socket ${path} is in use by taskmaster pid ${pid}${SOCKET_HINT}`,
  );
}

/** Asks a live socket `GET /v1/daemon`; the pid, or null if it is not taskmaster. */
async function probeTaskmasterPid(path: string): Promise<number | null> {
  const client = Deno.createHttpClient({ proxy: { transport: "unix", path } });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), PROBE_TIMEOUT_MS);
  try {
    const response = await fetch("http://localhost/v1/daemon", { client, signal: abort.signal });
    const body: unknown = await response.json().catch(() => null);
    if (!response.ok || typeof body !== "object" || body === null) return null;
    const pid = (body as { pid?: unknown }).pid;
    return typeof pid === "number" ? pid : null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
    client.close();
  }
}
