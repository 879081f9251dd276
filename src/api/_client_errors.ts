/**
 * How the socket client's failures read: {@link UnreachableError} when the
 * daemon is not there, and the daemon's own errors rebuilt as the
 * TaskmasterError it threw.
 *
 * @module
 */

import { type ErrorCode, TaskmasterError } from "../util/errors.ts";

/** The daemon is not there: no socket, nothing listening, or it hung up. */
export class UnreachableError extends Error {
  /** The socket the client tried. */
  readonly socketPath: string;
  /** True when a connection was made and then lost (the daemon exited mid-call). */
  readonly afterConnect: boolean;
  constructor(socketPath: string, reason: string, afterConnect = false) {
    super(`cannot reach taskmaster at ${socketPath}: ${reason} (is it running?)`);
    this.name = "UnreachableError";
    this.socketPath = socketPath;
    this.afterConnect = afterConnect;
  }
}

/**
 * A short reason from fetch's layered error, e.g. "error sending request for
 * url (…): client error (Connect): Connection refused (os error 111)" →
 * "connection refused".
 */
export function describeFailure(error: unknown): { text: string; afterConnect: boolean } {
  let message = "";
  for (let e: unknown = error; e instanceof Error; e = e.cause) message = e.message;
  const connect = /\(Connect\): (.*)$/.exec(message);
  const text = (connect?.[1] ?? message.replace(/^.*\): /, ""))
    .replace(/ \(os error \d+\)$/, "");
  return {
    text: text === "" ? "connection failed" : text[0]!.toLowerCase() + text.slice(1),
    afterConnect: connect === null,
  };
}

/** The error a daemon answered (`{code, message}`), as a TaskmasterError. */
export function toTaskmasterError(body: unknown, status: number): TaskmasterError {
  const { code, message } = (body ?? {}) as { code?: unknown; message?: unknown };
  return new TaskmasterError(
    typeof code === "string" ? code as ErrorCode : "INTERNAL",
    typeof message === "string" && message !== "" ? message : `HTTP ${status} from taskmaster`,
  );
}
