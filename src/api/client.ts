/**
 * {@link SupervisorPort} over the control API's unix socket, for
 * `taskmaster ctl` and the remote shell. Server errors come back as the same
 * {@link TaskmasterError} (code and message) the supervisor threw; a daemon
 * that cannot be reached is an {@link UnreachableError}.
 *
 * `ctl status` is timed against supervisorctl, so this module imports only
 * the protocol, the error type and a dependency-free SSE parser: no hono,
 * zod or yaml on the client's path.
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
import { describeFailure, toTaskmasterError, UnreachableError } from "./_client_errors.ts";

export { UnreachableError };
import { readSse } from "./_sse.ts";

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

type Json = Record<string, unknown> | unknown[];

interface CallInit {
  readonly method?: "GET" | "POST";
  readonly json?: Json;
  readonly bytes?: Uint8Array;
  readonly signal?: AbortSignal;
}

class SocketClient implements SupervisorPort {
  readonly #path: string;
  readonly #http: Deno.HttpClient;
  #closed = false;

  constructor(path: string) {
    this.#path = path;
    this.#http = Deno.createHttpClient({ proxy: { transport: "unix", path } });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#http.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async status(names?: readonly string[]): Promise<ProcessInfo[]> {
    const query = names === undefined || names.length === 0
      ? ""
      : `?names=${names.map(encodeURIComponent).join(",")}`;
    return await this.#json<ProcessInfo[]>(`/v1/processes${query}`);
  }

  start(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    return this.#action("start", { names }, options);
  }

  stop(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    return this.#action("stop", { names }, options);
  }

  async why(name: string): Promise<string> {
    const answer = await this.#json<{ text: string }>(
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
    return await this.#json<ActionResult[]>(`/v1/${path}`, { method: "POST", json });
  }

  async alerts(): Promise<AlertChannelStats[]> {
    return (await this.#json<{ channels: AlertChannelStats[] }>("/v1/alerts")).channels;
  }

  async alertTest(channel: string): Promise<AlertTestResult> {
    return await this.#json<AlertTestResult>("/v1/alerts/test", {
      method: "POST",
      json: { channel },
    });
  }

  async reload(): Promise<ReloadReport> {
    return await this.#json<ReloadReport>("/v1/reload", { method: "POST" });
  }

  async shutdown(): Promise<void> {
    try {
      await this.#json("/v1/shutdown", { method: "POST" });
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
        await Deno.lstat(this.#path);
      } catch {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async daemonPid(): Promise<number> {
    return (await this.#json<{ pid: number }>("/v1/daemon")).pid;
  }

  async version(): Promise<string> {
    return (await this.#json<{ version: string }>("/v1/daemon")).version;
  }

  async tail(name: string, stream: StreamName, lines: number): Promise<string> {
    const response = await this.#call(`${processPath(name)}/${stream}?lines=${lines}`);
    return await this.#read(() => response.text());
  }

  async follow(
    name: string,
    stream: StreamName,
    signal: AbortSignal,
  ): Promise<AsyncIterable<Uint8Array>> {
    // The daemon answers once it has subscribed: an answer means live, an
    // error status rejects here.
    const response = await this.#open(`${processPath(name)}/${stream}/follow`, signal);
    return this.#chunks(response, signal);
  }

  async *#chunks(response: Response | null, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    if (response === null) return;
    yield new Uint8Array(0); // live, as SupervisorPort.follow promises
    try {
      for await (const chunk of response.body ?? emptyBody()) yield chunk;
    } catch (error) {
      if (!signal.aborted) throw this.#unreachable(error);
    }
  }

  async logTail(lines: number): Promise<string> {
    const response = await this.#call(`/v1/log?lines=${lines}`);
    return await this.#read(() => response.text());
  }

  async logFollow(signal: AbortSignal): Promise<AsyncIterable<string>> {
    const response = await this.#open("/v1/log/follow", signal);
    return this.#sse(response, "log", signal) as AsyncGenerator<string>;
  }

  async events(signal: AbortSignal): Promise<AsyncIterable<StateChange>> {
    const response = await this.#open("/v1/events", signal);
    return this.#sse(response, "state", signal) as AsyncGenerator<StateChange>;
  }

  async sendStdin(name: string, data: Uint8Array): Promise<void> {
    await this.#json(`${processPath(name)}/stdin`, { method: "POST", bytes: data });
  }

  /** Data of each `kind` event of an SSE stream; `error` events throw. */
  async *#sse(
    response: Response | null,
    kind: string,
    signal: AbortSignal,
  ): AsyncGenerator<unknown> {
    if (response === null) return;
    try {
      for await (const event of readSse(response.body ?? emptyBody())) {
        const data: unknown = JSON.parse(event.data);
        if (event.event === kind) yield data;
        else if (event.event === "error") throw toTaskmasterError(data, 200);
      }
    } catch (error) {
      if (error instanceof TaskmasterError) throw error;
      if (!signal.aborted) throw this.#unreachable(error);
    }
  }

  /** Opens a stream; null when the signal aborted first. */
  async #open(path: string, signal: AbortSignal): Promise<Response | null> {
    try {
      return await this.#call(path, { signal });
    } catch (error) {
      if (signal.aborted) return null;
      throw error;
    }
  }

  async #json<T>(path: string, init: CallInit = {}): Promise<T> {
    const response = await this.#call(path, init);
    return await this.#read(() => response.json() as Promise<T>);
  }

  async #read<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      throw this.#unreachable(error, true);
    }
  }

  /** One request; a non-2xx answer becomes the TaskmasterError it carries. */
  async #call(path: string, init: CallInit = {}): Promise<Response> {
    if (this.#closed) throw new TaskmasterError("BAD_ARGUMENTS", "the client is closed");
    const headers: Record<string, string> = {};
    let body: BodyInit | undefined;
    if (init.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(init.json);
    } else if (init.bytes !== undefined) {
      headers["content-type"] = "application/octet-stream";
      body = init.bytes as Uint8Array<ArrayBuffer>;
    }
    let response: Response;
    try {
      response = await fetch(`http://localhost${path}`, {
        method: init.method ?? "GET",
        headers,
        body,
        signal: init.signal,
        client: this.#http,
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw this.#unreachable(error);
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => "");
    let payload: unknown = null;
    try {
      payload = JSON.parse(text);
    } catch {
      payload = null;
    }
    throw toTaskmasterError(
      (payload as { error?: unknown } | null)?.error ?? { message: text.slice(0, 200) },
      response.status,
    );
  }

  #unreachable(error: unknown, afterConnect?: boolean): UnreachableError {
    const reason = describeFailure(error);
    return new UnreachableError(this.#path, reason.text, afterConnect ?? reason.afterConnect);
  }
}

function processPath(name: string): string {
  return `/v1/processes/${encodeURIComponent(name)}`;
}

function emptyBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (c) => c.close() });
}
