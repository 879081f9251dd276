/**
 * taskmaster's domain error: a stable code (as supervisord's `Faults`) plus
 * a std-style message. Every layer throws it for a mistake its caller is
 * expected to handle; the adapters map the code (HTTP status, exit code,
 * XML-RPC fault) and never parse the message. This module imports nothing.
 *
 * @module
 */

/** Every stable error code, as supervisord's `Faults`. */
export const ERROR_CODES = [
  "BAD_NAME",
  "BAD_SIGNAL",
  "BAD_ARGUMENTS",
  "BAD_REQUEST",
  "ALREADY_STARTED",
  "NOT_RUNNING",
  "SPAWN_ERROR",
  "ABNORMAL_TERMINATION",
  "BAD_CONFIG",
  "SHUTTING_DOWN",
  /** A start that cannot happen: a dependency is FATAL or failed (BLOCKED). */
  "BLOCKED",
  "NO_FILE",
  "INTERNAL",
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = typeof ERROR_CODES[number];

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** An error a caller is expected to handle; carries a stable code. */
export class TaskmasterError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "TaskmasterError";
    this.code = code;
  }
}

/**
 * The one recogniser of taskmaster errors: the error itself when it is a
 * {@link TaskmasterError}, else a TaskmasterError when it has the shape of
 * one (an Error carrying a known `code`: from a second copy of this module,
 * or rebuilt from the wire by a client), else null (a bug, not a user error).
 */
export function asTaskmasterError(error: unknown): TaskmasterError | null {
  if (error instanceof TaskmasterError) return error;
  if (error instanceof Error && "code" in error && typeof error.code === "string") {
    if (KNOWN_CODES.has(error.code)) {
      return new TaskmasterError(error.code as ErrorCode, error.message);
    }
  }
  return null;
}

/** The error's code when {@link asTaskmasterError} recognises it. */
export function errorCode(error: unknown): ErrorCode | undefined {
  return asTaskmasterError(error)?.code;
}

/** True when `error` is a taskmaster error with this code. */
export function hasCode(error: unknown, code: ErrorCode): boolean {
  return errorCode(error) === code;
}
