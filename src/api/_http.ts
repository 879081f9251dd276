/**
 * HTTP plumbing for the control API handler: how errors become responses,
 * and how request bodies and query parameters are read and checked. Kept out
 * of `handler.ts` so the routes stay one screen of "parse, call, serialize".
 *
 * @module
 */

import { type ErrorBody } from "./protocol.ts";
import { asTaskmasterError, type ErrorCode, TaskmasterError } from "../util/errors.ts";
import type { Body, BodyKind } from "./_bodies.ts";
import { setGuardTimer } from "../util/guard_timer.ts";

/** The HTTP status each error code travels with. Exhaustive on purpose. */
export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  BAD_NAME: 404,
  NO_FILE: 404,
  BAD_SIGNAL: 400,
  BAD_ARGUMENTS: 400,
  BAD_REQUEST: 400,
  ALREADY_STARTED: 409,
  NOT_RUNNING: 409,
  BAD_CONFIG: 422,
  SHUTTING_DOWN: 503,
  SPAWN_ERROR: 500,
  ABNORMAL_TERMINATION: 500,
  BLOCKED: 409,
  INTERNAL: 500,
};

/** Largest JSON body accepted (the biggest real one is a list of names). */
export const MAX_JSON_BODY = 64 * 1024;
/** Largest stdin chunk accepted in one request (`attach` sends keystrokes). */
export const MAX_STDIN_BODY = 1024 * 1024;
/** Upper bound for `?lines=`; a bigger tail is a mistake, not a request. */
export const MAX_LINES = 1_000_000;
/** How long a request body may take to arrive. */
export const BODY_TIMEOUT_MS = 10_000;
/** `?lines=` when the caller leaves it out, as tail(1). */
export const DEFAULT_LINES = 10;

/**
 * A request the handler refuses before reaching the port: wrong shape, too
 * big, unknown route. Carries its own status because 404/405/413 are not
 * implied by the code alone.
 */
export class HttpError extends TaskmasterError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    status: number,
    message: string,
    headers: Readonly<Record<string, string>> = {},
    code: ErrorCode = "BAD_REQUEST",
  ) {
    super(code, message);
    this.status = status;
    this.headers = headers;
  }
}

/** `{ "error": { code, message } }` with the given status. */
export function errorResponse(
  status: number,
  code: ErrorCode,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): Response {
  const body: ErrorBody = { error: { code, message } };
  return Response.json(body, { status, headers });
}

/** The response for anything a route threw; null means "a bug" (caller logs it). */
export function responseForError(error: unknown): Response | null {
  if (error instanceof HttpError) {
    return errorResponse(error.status, error.code, error.message, error.headers);
  }
  const known = asTaskmasterError(error);
  if (known === null) return null;
  return errorResponse(STATUS_BY_CODE[known.code], known.code, known.message);
}

/**
 * Reads the whole body, refusing (413) more than `limit` bytes, and (408) a
 * body that has not all come within `timeoutMs`. Every body is counted as it
 * comes: a declared length alone does not bound what a chunked body sends
 * after it.
 */
export async function readBody(
  request: Request,
  limit: number,
  timeoutMs = BODY_TIMEOUT_MS,
): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) {
    throw new HttpError(413, `request body too large (${declared} bytes, the limit is ${limit})`);
  }
  if (request.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  let expired = false;
  // A client that stops sending mid-body must not hold its connection slot forever.
  const cancelTimer = setGuardTimer(() => {
    expired = true;
    reader.cancel().catch(() => {});
  }, timeoutMs);
  try {
    for (;;) {
      const { value: chunk, done } = await reader.read();
      if (done) break;
      total += chunk.byteLength;
      if (total > limit) {
        throw new HttpError(413, `request body too large (more than ${limit} bytes)`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    // The client half-closed (or hung up) before sending what it announced:
    // its mistake, not ours.
    throw new HttpError(400, `request body ended early: ${(error as Error).message ?? error}`);
  } finally {
    cancelTimer();
  }
  if (expired) {
    throw new HttpError(408, `request body not received within ${timeoutMs / 1000} s`);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

type BodiesModule = typeof import("./_bodies.ts");

/**
 * The schemas (and valibot) load after the daemon's socket is up and its
 * programs are starting ({@link warmBodyParsing}), not before.
 */
let bodies: Promise<BodiesModule> | null = null;

/** The schemas, loaded once; each has parsed once (its first parse is the slow one). */
function loadBodies(): Promise<BodiesModule> {
  return bodies ??= import("./_bodies.ts").then((m) => {
    m.warmParsers();
    return m;
  }, (error) => {
    bodies = null; // the next request tries again
    throw error;
  });
}

/**
 * Loads and warms what the first request body needs, once the daemon has
 * started its programs: loaded by that request instead, it would be paid by
 * the first `stop all`, the request a user is typically timing.
 */
export async function warmBodyParsing(): Promise<void> {
  new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0x7b, 0x7d]));
  await loadBodies();
}

/**
 * Reads a JSON object body of the given kind. Unknown keys are refused so
 * that a typo (`{"name": "web"}`) fails loudly instead of acting on a
 * default. The content type is not checked: `curl -d` sends a form type.
 */
export async function readJsonBody<K extends BodyKind>(
  request: Request,
  kind: K,
): Promise<Body<K>> {
  const bytes = await readBody(request, MAX_JSON_BODY);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new HttpError(400, `request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, "request body must be a JSON object");
  }
  const parsed = (await loadBodies()).parseBody(kind, value);
  if ("error" in parsed) throw new HttpError(400, parsed.error);
  return parsed.body;
}

/** `?names=a,b&names=c` → `["a","b","c"]`; absent or empty → undefined (all). */
export function namesQuery(values: readonly string[] | undefined): string[] | undefined {
  const names = (values ?? []).flatMap((v) => v.split(",")).filter((n) => n !== "");
  return names.length === 0 ? undefined : names;
}

/** `?lines=N`: a decimal integer from 0 to {@link MAX_LINES}. */
export function linesQuery(value: string | undefined): number {
  if (value === undefined || value === "") return DEFAULT_LINES;
  const lines = /^\d{1,7}$/.test(value) ? Number(value) : NaN;
  if (!(lines <= MAX_LINES)) {
    throw new HttpError(
      400,
      `query "lines" must be an integer from 0 to ${MAX_LINES}, got "${value}"`,
    );
  }
  return lines;
}
