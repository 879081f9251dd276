/**
 * The control API as a pure HTTP adapter over {@link SupervisorPort}: each
 * route parses its request, makes one port call, and serializes the result.
 * It holds no policy and no socket, so tests drive it with `new Request()`.
 * docs/API.md is the reference for every route.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { severalInstancesMessage, type StreamName, type SupervisorPort } from "./protocol.ts";
import { asTaskmasterError, TaskmasterError } from "../util/errors.ts";
import {
  errorResponse,
  HttpError,
  linesQuery,
  MAX_STDIN_BODY,
  namesQuery,
  readBody,
  readJsonBody,
  responseForError,
} from "./_http.ts";
import { openStream, type OpenStreamOptions, sseComment, sseEvent } from "./_stream.ts";

/** The API's version prefix; a breaking change gets `/v2`. */
export const API_PREFIX = "/v1";

/** Anything that answers HTTP requests (a hono app, here). */
export interface ControlApp {
  fetch(request: Request): Response | Promise<Response>;
}

/** Options for {@link createApp}. */
export interface AppOptions {
  /** When aborted, every open stream (follow, log follow, events) ends. */
  readonly signal?: AbortSignal;
  /** Interval of SSE keep-alive comments. @default 15000 */
  readonly heartbeatMs?: number;
  /** Told about errors that are bugs (not TaskmasterErrors); they answer 500. */
  readonly onInternalError?: (error: unknown, request?: Request) => void;
  /** Control connections open and refused, shown by `GET /v1/daemon`. */
  readonly connections?: () => { readonly open: number; readonly refused: number };
}

type Method = "GET" | "POST";
type Handler = (c: Context) => Promise<Response>;

const ACTIONS = ["restart", "clear"] as const;
const STREAMS: readonly StreamName[] = ["stdout", "stderr"];

/** Builds the hono app serving the API documented in docs/API.md. */
export function createApp(port: SupervisorPort, options: AppOptions = {}): ControlApp {
  const app = new Hono();
  const allowed = new Map<string, Method[]>();
  const route = (method: Method, path: string, handler: Handler) => {
    app.on(method, API_PREFIX + path, handler);
    allowed.set(path, [...(allowed.get(path) ?? []), method]);
  };
  const streamOptions: OpenStreamOptions = {
    closing: options.signal,
    heartbeatMs: options.heartbeatMs,
  };

  route("GET", "/daemon", async (c) => {
    const [pid, version] = await Promise.all([port.daemonPid(), port.version()]);
    const connections = options.connections?.();
    return c.json(connections === undefined ? { pid, version } : { pid, version, connections });
  });

  route("GET", "/processes", async (c) => {
    const names = namesQuery(c.req.queries("names"));
    if (port.statusJson === undefined) return c.json(await port.status(names));
    return c.body(await port.statusJson(names), 200, { "content-type": "application/json" });
  });

  route("GET", "/processes/:name", async (c) => {
    const name = nameParam(c);
    const infos = await port.status([name]);
    const info = infos.find((i) => i.name === name);
    if (info !== undefined) return c.json(info);
    // A program of several instances matched: this route returns one object.
    throw new TaskmasterError(
      "BAD_NAME",
      infos.length > 1
        ? `${
          severalInstancesMessage(name, infos.map((i) => i.name))
        }; list them with GET ${API_PREFIX}/processes?names=${name}`
        : `no such process: ${name}`,
    );
  });

  // One route per stream name: hono 4.13's `:stream{stdout|stderr}` pattern
  // also matched `…/stdout/follow` once sibling routes existed.
  for (const stream of STREAMS) {
    route("GET", `/processes/:name/${stream}`, async (c) => {
      const lines = linesQuery(c.req.query("lines"));
      return c.text(await port.tail(nameParam(c), stream, lines));
    });

    route("GET", `/processes/:name/${stream}/follow`, (c) => {
      const name = nameParam(c);
      return openStream(async (signal) => nonEmpty(await port.follow(name, stream, signal)), {
        contentType: "application/octet-stream",
        encode: (chunk: Uint8Array) => chunk,
        encodeError: () => null,
      }, streamOptions);
    });
  }

  route("POST", "/processes/:name/stdin", async (c) => {
    const data = await readBody(c.req.raw, MAX_STDIN_BODY);
    await port.sendStdin(nameParam(c), data);
    return c.json({ ok: true });
  });

  for (const action of ["start", "stop"] as const) {
    route("POST", `/${action}`, async (c) => {
      const body = await readJsonBody(c.req.raw, "depsNames");
      return c.json(
        await port[action](body.names, {
          ...(body.no_deps === true ? { noDeps: true } : {}),
          ...(body.per_name === true ? { perName: true } : {}),
        }),
      );
    });
  }

  route("GET", "/processes/:name/why", async (c) => {
    return c.json({ name: nameParam(c), text: await port.why(nameParam(c)) });
  });

  for (const action of ACTIONS) {
    route("POST", `/${action}`, async (c) => {
      const body = await readJsonBody(c.req.raw, "names");
      return c.json(await port[action](body.names, { perName: body.per_name === true }));
    });
  }

  route("POST", "/signal", async (c) => {
    const body = await readJsonBody(c.req.raw, "signal");
    return c.json(
      await port.signal(body.signal, body.names, { perName: body.per_name === true }),
    );
  });

  route("POST", "/reload", async (c) => c.json(await port.reload()));

  route("POST", "/shutdown", async (c) => {
    await port.shutdown();
    return c.json({ ok: true });
  });

  route("GET", "/alerts", async (c) => c.json({ channels: await port.alerts?.() ?? [] }));

  route("POST", "/alerts/test", async (c) => {
    const body = await readJsonBody(c.req.raw, "alertTest");
    if (port.alertTest === undefined) {
      throw new TaskmasterError("BAD_NAME", `no such alert channel: ${body.channel}`);
    }
    return c.json(await port.alertTest(body.channel));
  });

  route("GET", "/log", async (c) => c.text(await port.logTail(linesQuery(c.req.query("lines")))));

  route("GET", "/log/follow", () =>
    openStream((signal) => port.logFollow(signal), {
      contentType: "text/event-stream",
      encode: (line: string) => sseEvent("log", line),
      prelude: sseComment("taskmaster log"),
      heartbeat: sseComment("keep-alive"),
      encodeError: sseError,
    }, streamOptions));

  route("GET", "/events", () =>
    openStream((signal) => port.events(signal), {
      contentType: "text/event-stream",
      encode: (change) => sseEvent("state", change),
      prelude: sseComment("taskmaster events"),
      heartbeat: sseComment("keep-alive"),
      encodeError: sseError,
    }, streamOptions));

  // A known path with another method: 405 and the methods it does take.
  for (const [path, methods] of allowed) {
    app.all(API_PREFIX + path, (c) => {
      throw new HttpError(
        405,
        `${c.req.method} is not allowed on ${c.req.path} (use ${methods.join(", ")})`,
        {
          allow: methods.join(", "),
        },
      );
    });
  }

  app.notFound((c) =>
    errorResponse(404, "BAD_REQUEST", `no such endpoint: ${c.req.method} ${c.req.path}`)
  );
  app.onError((error, c) => {
    const response = responseForError(error);
    if (response !== null) return response;
    options.onInternalError?.(error, c.req.raw);
    const message = error instanceof Error ? error.message : String(error);
    return errorResponse(500, "INTERNAL", `internal error: ${message}`);
  });
  return app;
}

function nameParam(c: Context): string {
  // Every route using this has `:name` in its pattern, so it is always set.
  return c.req.param("name") ?? "";
}

/** A mid-stream failure, as the last SSE event before the stream ends. */
function sseError(error: unknown): Uint8Array {
  const known = asTaskmasterError(error);
  return sseEvent(
    "error",
    known === null
      ? { code: "INTERNAL", message: `internal error: ${(error as Error)?.message ?? error}` }
      : { code: known.code, message: known.message },
  );
}

/** Drops empty chunks (the port's "live" marker): the response headers say that. */
async function* nonEmpty(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) if (chunk.length > 0) yield chunk;
}
