/**
 * taskmaster's processes seen as supervisord shows them: state codes, the
 * process/group naming, and `getProcessInfo`'s struct with its
 * `description`, byte for byte as supervisor 4.2.5's rpcinterface builds it.
 * Pure: the time comes in.
 *
 * @module
 */

import type { ProcessInfo } from "../api/protocol.ts";
import { describeRunning, formatStopTime } from "../util/time_format.ts";
import type { RpcValue } from "./codec.ts";
import { Faults, type RpcFault } from "./faults.ts";

/** supervisord's process state codes (`supervisor.states.ProcessStates`). */
export const STATE_CODES: Readonly<Record<string, number>> = {
  STOPPED: 0,
  STARTING: 10,
  RUNNING: 20,
  BACKOFF: 30,
  STOPPING: 40,
  EXITED: 100,
  FATAL: 200,
  UNKNOWN: 1000,
};

/**
 * taskmaster states supervisord does not have, shown as the supervisord
 * state a client should act on: waiting for dependencies is a start in
 * progress; a start blocked by a failed dependency is a failure.
 */
const EXTRA_STATES: Readonly<Record<string, string>> = {
  WAITING: "STARTING",
  BLOCKED: "FATAL",
};

/** The supervisord state name for a taskmaster state. */
export function supervisordState(state: string): string {
  if (state in STATE_CODES) return state;
  return EXTRA_STATES[state] ?? "UNKNOWN";
}

/** supervisord's code for a taskmaster state. */
export function stateCode(state: string): number {
  return STATE_CODES[supervisordState(state)]!;
}

/** States in which start answers ALREADY_STARTED and stop works. */
export const RUNNING_CODES: ReadonlySet<number> = new Set([10, 20, 30]);
/** States in which a signal can be sent. */
export const SIGNALLABLE_CODES: ReadonlySet<number> = new Set([10, 20, 40]);
/** States a stop waits for. */
export const STOPPED_CODES: ReadonlySet<number> = new Set([0, 100, 200, 1000]);

/** `group:name`, or `name` when both are the same (supervisor's make_namespec). */
export function makeNamespec(group: string, name: string): string {
  return group === name ? name : `${group}:${name}`;
}

/** `web:0` → [web, 0]; `web:` and `web:*` → [web, null]; `web` → [web, web]. */
export function splitNamespec(spec: string): [string, string | null] {
  const i = spec.indexOf(":");
  if (i < 0) return [spec, spec];
  const name = spec.slice(i + 1);
  return [spec.slice(0, i), name === "" || name === "*" ? null : name];
}

/** The supervisord process name of a taskmaster instance: `web`, or `0` … in group `web`. */
export function processName(info: Pick<ProcessInfo, "program" | "index" | "name">): string {
  return info.name === info.program ? info.program : String(info.index);
}

/**
 * One entry of a group/all result (`startProcessGroup`, `stopAllProcesses`…):
 * `{name, group, status, description}`, status SUCCESS and "OK" when no fault.
 */
export function resultStruct(
  process: { readonly program: string; info(): ProcessInfo },
  fault: RpcFault | null,
): RpcValue {
  return {
    name: processName(process.info()),
    group: process.program,
    status: fault === null ? Faults.SUCCESS : fault.code,
    description: fault === null ? "OK" : fault.text,
  };
}

/** What supervisord records about a process that the struct needs beyond ProcessInfo. */
export interface ProcessFacts {
  readonly info: ProcessInfo;
  /** Whether the last exit was a failed start (supervisord's "Exited too quickly"). */
  readonly tooQuick: boolean;
  /** Whether the last exit's code was expected, null if none. */
  readonly expected: boolean | null;
}

/** `getProcessInfo`'s struct; `nowMs` is the current epoch ms. */
export function processStruct(facts: ProcessFacts, nowMs: number): Record<string, RpcValue> {
  const { info } = facts;
  const state = supervisordState(info.state);
  const code = STATE_CODES[state]!;
  const start = info.startedAt === null ? 0 : Math.floor(info.startedAt / 1000);
  const stop = info.stoppedAt === null ? 0 : Math.floor(info.stoppedAt / 1000);
  const now = Math.floor(nowMs / 1000);
  const failedStart = facts.tooQuick && (state === "BACKOFF" || state === "FATAL");
  // BLOCKED shows as FATAL: its reason (`db is FATAL`) is what supervisorctl prints.
  const blockedBy = info.state === "BLOCKED" ? info.blocked_by ?? null : null;
  const spawnerr = info.spawnerr ?? blockedBy ??
    (failedStart
      ? "Exited too quickly (process log may have details)"
      : state === "EXITED" && facts.expected === false
      ? `Bad exit code ${exitStatus(info)}`
      : "");
  const exitstatus = failedStart ? 0 : exitStatus(info);
  const name = processName(info);
  const struct: Record<string, RpcValue> = {
    name,
    group: info.program,
    start,
    stop,
    now,
    state: code,
    statename: state,
    spawnerr,
    exitstatus,
    logfile: info.stdout ?? "",
    stdout_logfile: info.stdout ?? "",
    stderr_logfile: info.stderr ?? "",
    pid: info.pid ?? 0,
  };
  struct.description = describe(state, { start, stop, now, pid: info.pid ?? 0, spawnerr, name });
  return struct;
}

/** supervisord's exitstatus: the code, -1 for a signal, 0 before any exit. */
function exitStatus(info: ProcessInfo): number {
  if (info.signal !== null) return -1;
  return info.exitcode ?? 0;
}

/** `_interpretProcessInfo`: what supervisorctl status prints after the state. */
function describe(
  state: string,
  p: { start: number; stop: number; now: number; pid: number; spawnerr: string; name: string },
): string {
  switch (state) {
    case "RUNNING":
      return describeRunning(p.pid, Math.max(0, p.now - p.start));
    case "FATAL":
    case "BACKOFF":
      return p.spawnerr !== "" ? p.spawnerr : `unknown error (try "tail ${p.name}")`;
    case "STOPPED":
    case "EXITED":
      return p.start !== 0 ? formatStopTime(p.stop * 1000) : "Not started";
    default:
      return "";
  }
}
