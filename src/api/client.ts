/**
 * {@link SupervisorPort} over the control API's unix socket, for
 * `taskmaster ctl` and the remote shell. Server errors come back as the same
 * {@link TaskmasterError} (code and message) the supervisor threw; a daemon
 * that cannot be reached is an {@link UnreachableError}.
 *
 * `ctl status` is timed against supervisorctl, so this module imports only
 * the protocol, the error type, its transport (_client_http.ts) and a
 * dependency-free SSE parser: no hono, valibot or yaml on the client's path.
 *
 * @module
 */

import type {
  ActionOptions,
  ActionResult,
  AlertChannelStats,
  AlertTestResult,
  ProcessInfo,
  ReloadReport,
  StateChange,
  StreamName,
  SupervisorPort,
} from "./protocol.ts";
import { TaskmasterError } from "../util/errors.ts";
import { toTaskmasterError, UnreachableError } from "./_client_errors.ts";
import { SocketHttp } from "./_client_http.ts";
import { loadModule } from "../util/load_module.ts";

export { UnreachableError };

/** How long `shutdown()` waits for the daemon to remove its socket after answering. */
const SHUTDOWN_WAIT_MS = 10_000;

/** A {@link SupervisorPort} talking to a daemon; close() it when done. */
export type ControlClient = SupervisorPort & { close(): void; [Symbol.dispose](): void };

/**
 * A client for the daemon listening on `socketPath`. Nothing is connected
 * until the first call, so this never throws; calls reject with
 * UnreachableError when the daemon is not there.
 */
export function connectClient(socketPath: string): ControlClient {
  return new SocketClient(socketPath);
}

class SocketClient implements SupervisorPort {
  readonly #http: SocketHttp;

  constructor(path: string) {
    this.#http = new SocketHttp(path);
  }

  close(): void {
    this.#http.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async status(names?: readonly string[]): Promise<ProcessInfo[]> {
    const query = names === undefined || names.length === 0
      ? ""
      : `?names=${names.map(encodeURIComponent).join(",")}`;
    return await this.#http.json<ProcessInfo[]>(`/v1/processes${query}`);
  }

  start(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    return this.#action("start", { names }, options);
  }

  stop(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    return this.#action("stop", { names }, options);
  }

  async why(name: string): Promise<string> {
    const answer = await this.#http.json<{ text: string }>(
      `/v1/processes/${encodeURIComponent(name)}/why`,
    );
    return answer.text;
  }

  restart(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    return this.#action("restart", { names }, options);
  }

  signal(
    signal: string,
    names: readonly string[],
    options: ActionOptions = {},
  ): Promise<ActionResult[]> {
    return this.#action("signal", { signal, names }, options);
  }

  clear(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    return this.#action("clear", { names }, options);
  }

  async #action(
    path: string,
    body: Record<string, unknown>,
    options: ActionOptions,
  ): Promise<ActionResult[]> {
    const json = {
      ...body,
      ...(options.noDeps ? { no_deps: true } : {}),
      ...(options.perName ? { per_name: true } : {}),
    };
    return await this.#http.json<ActionResult[]>(`/v1/${path}`, { method: "POST", json });
  }

  async alerts(): Promise<AlertChannelStats[]> {
    return (await this.#http.json<{ channels: AlertChannelStats[] }>("/v1/alerts")).channels;
  }

  async alertTest(channel: string): Promise<AlertTestResult> {
    return await this.#http.json<AlertTestResult>("/v1/alerts/test", {
      method: "POST",
      json: { channel },
    });
  }

  async reload(): Promise<ReloadReport> {
    return await this.#http.json<ReloadReport>("/v1/reload", { method: "POST" });
  }

  async shutdown(): Promise<void> {
    try {
      await this.#http.json("/v1/shutdown", { method: "POST" });
    } catch (error) {
      // The daemon may exit before its answer is out: a hang-up after the
      // request was sent means the shutdown happened. Failing to connect
      // at all is still an error.
      if (!(error instanceof UnreachableError && error.afterConnect)) throw error;
    }
    // The daemon answers once every program is stopped, then closes its files
    // and removes its socket last: wait for that, so "Shut down" means gone.
    const deadline = Date.now() + SHUTDOWN_WAIT_MS;
    while (Date.now() < deadline) {
      try {
        await Deno.lstat(this.#http.path);
      } catch {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async daemonPid(): Promise<number> {
    return (await this.#http.json<{ pid: number }>("/v1/daemon")).pid;
  }

  async version(): Promise<string> {
    return (await this.#http.json<{ version: string }>("/v1/daemon")).version;
  }

  async tail(name: string, stream: StreamName, lines: number): Promise<string> {
    const response = await this.#http.call(`${processPath(name)}/${stream}?lines=${lines}`);
    return await this.#http.read(() => response.text());
  }

  async follow(
    name: string,
    stream: StreamName,
    signal: AbortSignal,
  ): Promise<AsyncIterable<Uint8Array>> {
    // The daemon answers once it has subscribed: an answer means live, an
    // error status rejects here.
    const response = await this.#http.open(`${processPath(name)}/${stream}/follow`, signal);
    return this.#chunks(response, signal);
  }

  async *#chunks(response: Response | null, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    if (response === null) return;
    yield new Uint8Array(0); // live, as SupervisorPort.follow promises
    try {
      for await (const chunk of response.body ?? emptyBody()) yield chunk;
    } catch (error) {
      if (!signal.aborted) throw this.#http.unreachable(error);
    }
  }

  async logTail(lines: number): Promise<string> {
    const response = await this.#http.call(`/v1/log?lines=${lines}`);
    return await this.#http.read(() => response.text());
  }

  async logFollow(signal: AbortSignal): Promise<AsyncIterable<string>> {
    const response = await this.#http.open("/v1/log/follow", signal);
    return this.#sse(response, "log", signal) as AsyncGenerator<string>;
  }

  async events(signal: AbortSignal): Promise<AsyncIterable<StateChange>> {
    const response = await this.#http.open("/v1/events", signal);
    return this.#sse(response, "state", signal) as AsyncGenerator<StateChange>;
  }

  async sendStdin(name: string, data: Uint8Array): Promise<void> {
    await this.#http.json(`${processPath(name)}/stdin`, { method: "POST", bytes: data });
  }

  /** Data of each `kind` event of an SSE stream; `error` events throw. */
  async *#sse(
    response: Response | null,
    kind: string,
    signal: AbortSignal,
  ): AsyncGenerator<unknown> {
    if (response === null) return;
    // Loaded by the first stream: most client commands never read one.
    const { readSse } = await loadModule<typeof import("./_sse.ts")>(
      new URL("./_sse.ts", import.meta.url),
    );
    try {
      for await (const event of readSse(response.body ?? emptyBody())) {
        const data: unknown = JSON.parse(event.data);
        if (event.event === kind) yield data;
        else if (event.event === "error") throw toTaskmasterError(data, 200);
      }
    } catch (error) {
      if (error instanceof TaskmasterError) throw error;
      if (!signal.aborted) throw this.#http.unreachable(error);
    }
  }
}

function processPath(name: string): string {
  return `/v1/processes/${encodeURIComponent(name)}`;
}

function emptyBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (c) => c.close() });
}
