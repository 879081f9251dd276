/**
 * supervisord's fault codes (`supervisor.xmlrpc.Faults`) and the error that
 * carries one. The fault string is the code's name, then `: extra` when
 * there is an extra, exactly as supervisord builds it.
 *
 * @module
 */

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
