/**
 * The socket client's transport: HTTP requests to the daemon over its unix
 * socket, a non-2xx answer rebuilt as the TaskmasterError it carries, and
 * every failure to reach or read from the daemon as an UnreachableError
 * naming the socket. client.ts maps the port's methods onto it.
 *
 * @module
 */

import { TaskmasterError } from "../util/errors.ts";
import { describeFailure, toTaskmasterError, UnreachableError } from "./_client_errors.ts";

type Json = Record<string, unknown> | unknown[];

/** One request's method and body. */
export interface CallInit {
  readonly method?: "GET" | "POST";
  readonly json?: Json;
  readonly bytes?: Uint8Array;
  readonly signal?: AbortSignal;
}

/** An HTTP client bound to one unix socket; close() it when done. */
export class SocketHttp {
  /** The socket's path, named in every UnreachableError. */
  readonly path: string;
  readonly #http: Deno.HttpClient;
  #closed = false;

  constructor(path: string) {
    this.path = path;
    this.#http = Deno.createHttpClient({ proxy: { transport: "unix", path } });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#http.close();
  }

  /** The JSON answer of one request. */
  async json<T>(path: string, init: CallInit = {}): Promise<T> {
    const response = await this.call(path, init);
    return await this.read(() => response.json() as Promise<T>);
  }

  /** Reads a body; a failure midway is an UnreachableError after connecting. */
  async read<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      throw this.unreachable(error, true);
    }
  }

  /** Opens a stream; null when the signal aborted first. */
  async open(path: string, signal: AbortSignal): Promise<Response | null> {
    try {
      return await this.call(path, { signal });
    } catch (error) {
      if (signal.aborted) return null;
      throw error;
    }
  }

  /** One request; a non-2xx answer becomes the TaskmasterError it carries. */
  async call(path: string, init: CallInit = {}): Promise<Response> {
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
      throw this.unreachable(error);
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

  /** `error` as the daemon being unreachable, with the reason in words. */
  unreachable(error: unknown, afterConnect?: boolean): UnreachableError {
    const reason = describeFailure(error);
    return new UnreachableError(this.path, reason.text, afterConnect ?? reason.afterConnect);
  }
}
