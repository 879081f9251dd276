/**
 * supervisord's fault codes (`supervisor.xmlrpc.Faults`) and the error that
 * carries one. The fault string is the code's name, then `: extra` when
 * there is an extra, exactly as supervisord builds it. Also how
 * taskmaster's error codes map onto them.
 *
 * @module
 */

import type { ActionResult } from "../api/protocol.ts";
import { type ErrorCode, TaskmasterError } from "../util/errors.ts";

/** supervisor 4.2.5's fault codes. */
export const Faults = {
  UNKNOWN_METHOD: 1,
  INCORRECT_PARAMETERS: 2,
  BAD_ARGUMENTS: 3,
  SIGNATURE_UNSUPPORTED: 4,
  SHUTDOWN_STATE: 6,
  BAD_NAME: 10,
  BAD_SIGNAL: 11,
  NO_FILE: 20,
  NOT_EXECUTABLE: 21,
  FAILED: 30,
  ABNORMAL_TERMINATION: 40,
  SPAWN_ERROR: 50,
  ALREADY_STARTED: 60,
  NOT_RUNNING: 70,
  SUCCESS: 80,
  ALREADY_ADDED: 90,
  STILL_RUNNING: 91,
  CANT_REREAD: 92,
} as const;

/** One of {@link Faults}' names. */
export type FaultName = keyof typeof Faults;

/** A fault to answer with: `faultCode` and `faultString`. */
export class RpcFault extends Error {
  readonly code: number;
  readonly text: string;
  constructor(name: FaultName, extra?: string | number | null) {
    const text = extra === undefined || extra === null ? name : `${name}: ${extra}`;
    super(text);
    this.name = "RpcFault";
    this.code = Faults[name];
    this.text = text;
  }
}

/** The fault for each taskmaster error code that has one; any other is FAILED. */
const FAULT_OF_CODE: Partial<Record<ErrorCode, FaultName>> = {
  BAD_NAME: "BAD_NAME",
  BAD_SIGNAL: "BAD_SIGNAL",
  ALREADY_STARTED: "ALREADY_STARTED",
  NOT_RUNNING: "NOT_RUNNING",
  SPAWN_ERROR: "SPAWN_ERROR",
  ABNORMAL_TERMINATION: "ABNORMAL_TERMINATION",
  SHUTTING_DOWN: "SHUTDOWN_STATE",
  NO_FILE: "NO_FILE",
};

/** The fault of a TaskmasterError, with its message as the extra. */
export function faultOfError(error: TaskmasterError): RpcFault {
  return new RpcFault(FAULT_OF_CODE[error.code] ?? "FAILED", error.message);
}

/** The fault of a failed action result for `spec`. */
export function faultOf(result: ActionResult, spec: string): RpcFault {
  const name = result.error === undefined ? "FAILED" : FAULT_OF_CODE[result.error.code] ?? "FAILED";
  // A start refused while stopping is supervisord's assertion failure: FAILED.
  return new RpcFault(name, name === "FAILED" ? result.error?.message ?? spec : spec);
}

/** Any error as a fault: an unexpected one is FAILED with its message. */
export function asFault(error: unknown): RpcFault {
  if (error instanceof RpcFault) return error;
  if (error instanceof TaskmasterError) return faultOfError(error);
  return new RpcFault("FAILED", (error as Error)?.message ?? String(error));
}
