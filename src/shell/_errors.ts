/**
 * Exit codes and error plumbing shared by the shell's commands.
 *
 * @module
 */

import { type ErrorCode, TaskmasterError } from "../api/protocol.ts";
import { firstLine } from "./format.ts";

/** supervisorctl's exit codes (LSB init/status conventions). */
export const EXIT = {
  OK: 0,
  /** LSB generic failure. */
  FAILED: 1,
  /** Usage error or invalid configuration. */
  USAGE: 2,
  /** `status`: a shown process is STOPPED, EXITED, FATAL or UNKNOWN. */
  STATUS_NOT_RUNNING: 3,
  /** `status`: unknown name, or the daemon cannot be reached. */
  STATUS_UNKNOWN: 4,
  /** A program is dead: spawn error, abnormal termination, not running. */
  NOT_RUNNING: 7,
} as const;

/** A mistake in the command line; printed with the command's usage, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * The error's code when it is a {@link TaskmasterError}. The remote client
 * builds its errors from the wire, so a same-shaped object counts too.
 */
export function errorCode(error: unknown): ErrorCode | undefined {
  if (error instanceof TaskmasterError) return error.code;
  if (error instanceof Error && error.name === "TaskmasterError") {
    const code: unknown = (error as Error & { code?: unknown }).code;
    if (typeof code === "string") return code as ErrorCode;
  }
  return undefined;
}

/** True when `error` is a TaskmasterError with this code. */
export function hasCode(error: unknown, code: ErrorCode): boolean {
  return errorCode(error) === code;
}

/** The one line `Error: …` that the shell prints for a failed call. */
export function errorText(error: unknown): string {
  if (hasCode(error, "SHUTTING_DOWN")) return "Error: taskmaster is shutting down";
  const message = error instanceof Error ? error.message : String(error);
  return `Error: ${firstLine(message) || "unknown error"}`;
}

/** The exit code for an error that escaped a command. */
export function errorExitCode(error: unknown): number {
  const code = errorCode(error);
  if (code === "BAD_ARGUMENTS" || code === "BAD_REQUEST" || code === "BAD_CONFIG") {
    return EXIT.USAGE;
  }
  return EXIT.FAILED;
}
