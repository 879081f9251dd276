/**
 * The accept loop of the control socket and of the TCP listener, owned here
 * instead of inside Deno.serve:
 * Deno.serve's loop ends for good on the first EMFILE (and its rejected
 * `finished` promise crashed the daemon), and it accepts without limit, so a
 * flood of clients could take every fd the programs need. Here:
 *
 * - at most `maxConnections` are open; a client over the cap is closed at once;
 * - out of fds, one fd kept in reserve is spent to take the waiting client and
 *   close it, so the backlog drains instead of spinning, and it is counted;
 * - a connection without a request in progress for `idleTimeoutMs` (an idle
 *   keep-alive, or a slow-loris still sending its headers) is closed, so
 *   stalled clients cannot hold the slots forever.
 *
 * Each accepted connection is served by Deno's own HTTP server
 * (`serveHttpOnConnection`, the function Deno.serve uses per connection), so
 * the HTTP parsing is still hyper's.
 *
 * @module
 */

import { isOutOfFds } from "../process/spawner.ts";
import {
  FixedDelayQueue,
  monotonicTimers,
  type QueuedDeadline,
} from "../util/fixed_delay_queue.ts";

/** What a handler learns of its request's connection. */
export interface ConnectionInfo {
  /** Settles once the response has been sent (or the connection dropped). */
  readonly completed: Promise<void>;
  /** The peer, for TCP connections. */
  readonly remoteAddr?: Deno.Addr;
}

/** A handler of one request on a gated connection. */
export type GatedHandler = (request: Request, info: ConnectionInfo) => Promise<Response>;

/** Deno's per-connection HTTP server (internal in Deno 2.9; checked at start). */
type ServeOnConnection = (
  conn: Deno.Conn,
  signal: AbortSignal,
  handler: (request: Request, info: ConnectionInfo) => Response | Promise<Response>,
  onError: (error: unknown) => Response | Promise<Response>,
  onListen: () => void,
) => { finished: Promise<void> };

function serveOnConnection(): ServeOnConnection {
  const deno = Deno as unknown as { internal: symbol } & Record<symbol, Record<string, unknown>>;
  const serve = deno[deno.internal]?.serveHttpOnConnection;
  if (typeof serve !== "function") {
    throw new Error("this Deno has no serveHttpOnConnection (taskmaster needs Deno 2.9)");
  }
  return serve as ServeOnConnection;
}

/** Limits of {@link ConnectionGate}. */
export interface ConnectionLimits {
  /** Connections open at once; one more is closed as soon as it is accepted. */
  readonly maxConnections: number;
  /** A connection with no request in progress for this long is closed. */
  readonly idleTimeoutMs: number;
}

/** Counters of a {@link ConnectionGate}. */
export interface ConnectionStats {
  /** Connections open now. */
  readonly open: number;
  /** Connections closed unanswered: over the cap, or while out of fds. */
  readonly refused: number;
}

interface Tracked {
  readonly abort: AbortController;
  readonly finished: Promise<void>;
  active: number;
  /** While no request is in progress: when it is closed as idle. */
  idle: QueuedDeadline | null;
}

/** The idle deadlines' timer: unref'd (an idle connection alone keeps nothing alive). */
const IDLE_TIMERS = monotonicTimers({ unref: true });
/** Pause after an accept error, so a persistent one does not spin. */
const ACCEPT_RETRY_MS = 50;

/** Serves HTTP on every connection of `listener`, within limits. */
export class ConnectionGate {
  readonly #listener: Deno.Listener;
  readonly #limits: ConnectionLimits;
  readonly #conns = new Set<Tracked>();
  #refused = 0;
  #reserve: Deno.FsFile | null = null;
  #closed = false;
  /**
   * Idle connections' deadlines, one timer for all: a client that keeps its
   * connection open does not wake the daemon every second (a 1 s sweep cost
   * an idle daemon ~0.5 ms of CPU a second).
   */
  readonly #idle: FixedDelayQueue;
  #loop: Promise<void>;
  readonly #onRefused: (refused: number, why: string) => void;

  constructor(
    listener: Deno.Listener,
    limits: ConnectionLimits,
    handler: GatedHandler,
    onError: (error: unknown) => Response,
    onRefused: (refused: number, why: string) => void = () => {},
  ) {
    const serve = serveOnConnection();
    this.#listener = listener;
    this.#limits = limits;
    this.#onRefused = onRefused;
    this.#reserve = openReserve();
    this.#idle = new FixedDelayQueue(limits.idleTimeoutMs, IDLE_TIMERS);
    this.#loop = this.#acceptLoop(serve, handler, onError);
  }

  get stats(): ConnectionStats {
    return { open: this.#conns.size, refused: this.#refused };
  }

  async #acceptLoop(
    serve: ServeOnConnection,
    handler: GatedHandler,
    onError: (error: unknown) => Response,
  ): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closed || error instanceof Deno.errors.BadResource) return;
        if (isOutOfFds(error)) await this.#shedOne();
        else await delay(ACCEPT_RETRY_MS);
        continue;
      }
      if (this.#conns.size >= this.#limits.maxConnections) {
        this.#refuse(conn, `${this.#limits.maxConnections} connections are open (max_connections)`);
        continue;
      }
      const tracked: Tracked = {
        abort: new AbortController(),
        finished: Promise.resolve(),
        active: 0,
        idle: null,
      };
      const server = serve(
        conn,
        tracked.abort.signal,
        (request, info) => {
          if (tracked.active++ === 0) this.#busy(tracked);
          info.completed.catch(() => {}).finally(() => {
            if (--tracked.active === 0) this.#idleFrom(tracked);
          });
          return handler(request, info);
        },
        onError,
        () => {},
      );
      const finished = server.finished.catch(() => {}).finally(() => {
        this.#conns.delete(tracked);
        this.#busy(tracked);
      });
      Object.assign(tracked, { finished });
      this.#conns.add(tracked);
      // A connection that never sends a request is idle from its accept.
      this.#idleFrom(tracked);
    }
  }

  /** No request in progress from now on: closed after idleTimeoutMs unless one comes. */
  #idleFrom(tracked: Tracked): void {
    if (this.#closed) return;
    tracked.idle = this.#idle.add(() => {
      tracked.idle = null;
      endConnection(tracked.abort);
    });
  }

  /** A request in progress (or the connection gone): no idle deadline. */
  #busy(tracked: Tracked): void {
    if (tracked.idle === null) return;
    this.#idle.delete(tracked.idle);
    tracked.idle = null;
  }

  /**
   * Out of fds: the waiting client stays in the backlog and every accept
   * fails at once. Spend the reserved fd on taking it, close it (refused),
   * and take the reserve back.
   */
  async #shedOne(): Promise<void> {
    if (this.#reserve !== null) {
      this.#reserve.close();
      this.#reserve = null;
      try {
        this.#refuse(await this.#listener.accept(), "taskmaster is out of file descriptors");
      } catch {
        // Taken by someone else in between, or the listener closed: try later.
      }
    }
    await delay(ACCEPT_RETRY_MS);
    this.#reserve ??= openReserve();
  }

  #refuse(conn: Deno.Conn, why: string): void {
    try {
      conn.close();
    } catch {
      // Already gone.
    }
    this.#refused++;
    this.#onRefused(this.#refused, why);
  }

  /**
   * Stops accepting, then ends every connection gracefully (a response being
   * written is finished first) and waits for them.
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      for (const c of this.#conns) this.#busy(c);
      try {
        this.#listener.close();
      } catch {
        // Already closed.
      }
      this.#reserve?.close();
      this.#reserve = null;
    }
    await this.#loop;
    while (this.#conns.size > 0) {
      const all = [...this.#conns];
      for (const c of all) endConnection(c.abort);
      await Promise.all(all.map((c) => c.finished));
    }
  }
}

/**
 * Ends one connection's HTTP server. A connection the client has just closed
 * is gone before its `finished` settles, and Deno's abort listener then
 * throws BadResource from inside the event dispatch, where no caller can
 * catch it: it would be an uncaught error. That one is expected and dropped.
 */
function endConnection(controller: AbortController): void {
  if (controller.signal.aborted) return;
  const gone = (event: ErrorEvent) => {
    if (event.error instanceof Deno.errors.BadResource) event.preventDefault();
  };
  globalThis.addEventListener("error", gone);
  try {
    controller.abort();
  } finally {
    globalThis.removeEventListener("error", gone);
  }
}

function openReserve(): Deno.FsFile | null {
  try {
    return Deno.openSync("/dev/null");
  } catch {
    return null;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
