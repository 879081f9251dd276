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
import { concatBytes } from "../util/bytes.ts";

type Json = Record<string, unknown> | unknown[];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A non-2xx answer's body as the TaskmasterError the daemon sent (or its first words). */
function errorFrom(text: string, status: number): TaskmasterError {
  let payload: unknown = null;
  try {
    payload = JSON.parse(text);
  } catch {
    payload = null;
  }
  return toTaskmasterError(
    (payload as { error?: unknown } | null)?.error ?? { message: text.slice(0, 200) },
    status,
  );
}

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
  /** fetch()'s client, made on the first call that needs it (see #exchange). */
  #http: Deno.HttpClient | null = null;
  #closed = false;

  constructor(path: string) {
    this.path = path;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#http?.close();
  }

  /** The JSON answer of one request. */
  async json<T>(path: string, init: CallInit = {}): Promise<T> {
    return await this.#exchange(path, init) as T;
  }

  /**
   * One request as HTTP/1.0 on a connection of its own, read to the end
   * (the server closes it after the answer, so no chunking, no keep-alive).
   * The calls that answer one JSON document go this way, not through
   * fetch(): a `ctl` command makes one or two of them and exits, and
   * fetch's first request costs ~50 ms of CPU (its HTTP client and TLS
   * roots, a DNS lookup of the host) in a client whose whole start is
   * ~200 ms. Streams (follow, events) stay on fetch.
   */
  async #exchange(path: string, init: CallInit): Promise<unknown> {
    if (this.#closed) throw new TaskmasterError("BAD_ARGUMENTS", "the client is closed");
    let body: Uint8Array = new Uint8Array(0);
    let type = "";
    if (init.json !== undefined) {
      body = encoder.encode(JSON.stringify(init.json));
      type = "content-type: application/json\r\n";
    } else if (init.bytes !== undefined) {
      body = init.bytes;
      type = "content-type: application/octet-stream\r\n";
    }
    let conn: Deno.Conn;
    try {
      conn = await Deno.connect({ transport: "unix", path: this.path });
    } catch (error) {
      throw this.unreachable(error, false);
    }
    const answer: Uint8Array[] = [];
    try {
      const head = encoder.encode(
        `${init.method ?? "GET"} ${path} HTTP/1.0\r\nhost: localhost\r\n${type}` +
          `content-length: ${body.byteLength}\r\n\r\n`,
      );
      for (const part of [head, body]) {
        for (let written = 0; written < part.byteLength;) {
          written += await conn.write(part.subarray(written));
        }
      }
      const buffer = new Uint8Array(64 * 1024);
      for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
        answer.push(buffer.slice(0, n));
      }
    } catch (error) {
      throw this.unreachable(error, true);
    } finally {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    }
    const text = decoder.decode(concatBytes(answer));
    const split = text.indexOf("\r\n\r\n");
    const status = Number(/^HTTP\/1\.\d (\d{3})/.exec(text)?.[1]);
    if (split < 0 || !Number.isInteger(status)) {
      throw new UnreachableError(this.path, "no answer", true);
    }
    const payload = text.slice(split + 4);
    if (status < 200 || status >= 300) throw errorFrom(payload, status);
    try {
      return JSON.parse(payload);
    } catch {
      throw new UnreachableError(this.path, "an answer that is not JSON", true);
    }
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
        client: this.#http ??= Deno.createHttpClient({
          proxy: { transport: "unix", path: this.path },
        }),
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw this.unreachable(error);
    }
    if (response.ok) return response;
    throw errorFrom(await response.text().catch(() => ""), response.status);
  }

  /** `error` as the daemon being unreachable, with the reason in words. */
  unreachable(error: unknown, afterConnect?: boolean): UnreachableError {
    const reason = describeFailure(error);
    return new UnreachableError(this.path, reason.text, afterConnect ?? reason.afterConnect);
  }
}
