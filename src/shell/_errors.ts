/**
 * Exit codes and error plumbing shared by the shell's commands.
 *
 * @module
 */

import { errorCode, hasCode } from "../util/errors.ts";
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
