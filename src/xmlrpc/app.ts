/**
 * supervisord's HTTP surface as a mountable hono app: `POST /RPC2`
 * (XML-RPC), `GET /logtail/NAME[/stdout|stderr]` and `GET /mainlogtail`
 * (the last 1024 bytes, then live, chunked, never-ending). The unix socket
 * serves it beside /v1; a TCP listener can mount it the same way
 * (`app.route("/", createSupervisordApp(…))`).
 *
 * @module
 */

import { Hono } from "hono";
import { decodeCall, encodeFault, encodeResponse, MalformedCall } from "./codec.ts";
import { Faults, RpcFault } from "./faults.ts";
import { followFile } from "./tail_follow.ts";
import type { SupervisorRpc } from "./supervisor_rpc.ts";

/** What the streaming endpoints need. */
export interface SupervisordAppOptions {
  /** When aborted, every open logtail stream ends (server shutdown). */
  readonly signal?: AbortSignal;
  /** The log file of `NAME` (`group:proc` or `proc`) and stream, or null when there is none. */
  readonly logPath: (spec: string, stream: "stdout" | "stderr") => string | null;
  /** The main (event) log file. */
  readonly mainLogPath: () => string;
  /** Told about errors that are bugs (answered 500). */
  readonly onInternalError?: (error: unknown) => void;
}

const TEXT_XML = { "content-type": "text/xml" };
const HEAD_BYTES = 1024;

/** Builds the app; `rpc` answers the XML-RPC calls. */
export function createSupervisordApp(rpc: SupervisorRpc, options: SupervisordAppOptions): Hono {
  const app = new Hono();

  app.post("/RPC2", async (c) => {
    let call;
    try {
      call = decodeCall(await c.req.text());
    } catch (error) {
      if (error instanceof MalformedCall) return c.text("Bad Request", 400);
      throw error;
    }
    if (call.method === "") return c.text("Bad Request", 400);
    try {
      const value = await rpc.call(call.method, call.params);
      return new Response(encodeResponse(value), { headers: TEXT_XML });
    } catch (error) {
      if (error instanceof RpcFault) {
        return new Response(encodeFault(error.code, error.text), { headers: TEXT_XML });
      }
      options.onInternalError?.(error);
      const message = error instanceof Error ? error.message : String(error);
      return new Response(encodeFault(Faults.FAILED, `FAILED: ${message}`), {
        headers: TEXT_XML,
      });
    }
  });

  app.get("/logtail/*", (c) => {
    const rest = decodeURIComponent(c.req.path.slice("/logtail/".length));
    const slash = rest.indexOf("/");
    const spec = slash < 0 ? rest : rest.slice(0, slash);
    const channel = slash < 0 ? "stdout" : rest.slice(slash + 1);
    if (channel !== "stdout" && channel !== "stderr") return c.text("Not Found", 404);
    let path: string | null;
    try {
      path = options.logPath(spec, channel);
    } catch {
      path = null;
    }
    return tail(path);
  });

  app.get("/mainlogtail", () => tail(options.mainLogPath()));

  const tail = (path: string | null): Response => {
    // No file (yet) is a 404, as supervisord answers it.
    let body: ReadableStream<Uint8Array>;
    try {
      if (path === null || !Deno.statSync(path).isFile) throw new Error("no log file");
      body = followFile(path, HEAD_BYTES, options.signal);
    } catch {
      return new Response("Not Found", { status: 404 });
    }
    return new Response(body, {
      headers: {
        "content-type": "text/plain;charset=utf-8",
        "x-accel-buffering": "no",
      },
    });
  };

  return app;
}
