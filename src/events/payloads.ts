/**
 * supervisord's events as text, exactly as supervisor 4.2.5 writes them for
 * listeners: the envelope header, and the payloads of PROCESS_STATE_*,
 * TICK_*, PROCESS_GROUP_*, PROCESS_LOG_* and REMOTE_COMMUNICATION. Also the
 * translation of taskmaster's state changes into supervisord's event
 * sequence (taskmaster goes RUNNING → STARTING in one step where supervisord
 * passes through EXITED). Pure.
 *
 * @module
 */

import { supervisordState } from "../xmlrpc/process_view.ts";

/** One event: its type name and payload text. */
export interface SupervisorEvent {
  readonly name: string;
  readonly payload: string;
}

/** `ver:3.0 server:supervisor serial:N pool:P poolserial:M eventname:E len:L\n` + payload. */
export function envelope(
  event: SupervisorEvent,
  serial: number,
  pool: string,
  poolSerial: number,
): string {
  // len counts characters, as Python's len(str) does (listeners read in text mode).
  const len = [...event.payload].length;
  return `ver:3.0 server:supervisor serial:${serial} pool:${pool} poolserial:${poolSerial} ` +
    `eventname:${event.name} len:${len}\n${event.payload}`;
}

/** What a state event needs to know about the process beyond the change itself. */
export interface StateFacts {
  /** supervisord process name (`web`, or `0` in group `web`). */
  readonly processName: string;
  readonly group: string;
  readonly from: string;
  readonly to: string;
  /** Failed starts in a row (supervisord's `backoff`). */
  readonly tries: number;
  /** The exit was expected (for EXITED). */
  readonly expected: boolean;
  /** The live pid, if any. */
  readonly pid: number | null;
  /** The pid of the last run (for EXITED / STOPPED after it is gone). */
  readonly lastPid: number | null;
  /** startretries, for the BACKOFF passed through on the way to FATAL. */
  readonly startretries: number;
}

/** supervisord's PROCESS_STATE_* events for one taskmaster state change, in order. */
export function stateEvents(f: StateFacts): SupervisorEvent[] {
  const from = supervisordState(f.from);
  const to = supervisordState(f.to);
  if (from === to) return [];
  const one = (state: string, prev: string, tries = f.tries): SupervisorEvent => ({
    name: `PROCESS_STATE_${state}`,
    payload: statePayload(f, state, prev, tries),
  });
  // Exited and restarted at once: supervisord reports EXITED, then STARTING.
  if (from === "RUNNING" && to === "STARTING") {
    return [one("EXITED", "RUNNING"), one("STARTING", "EXITED")];
  }
  // The last failed start: supervisord enters BACKOFF, then gives up.
  if (from === "STARTING" && to === "FATAL") {
    return [one("BACKOFF", "STARTING", f.startretries + 1), one("FATAL", "BACKOFF")];
  }
  return [one(to, from)];
}

function statePayload(f: StateFacts, state: string, from: string, tries: number): string {
  const base = `processname:${f.processName} groupname:${f.group} from_state:${from}`;
  switch (state) {
    case "STARTING":
    case "BACKOFF":
      return `${base} tries:${tries}`;
    case "EXITED":
      return `${base} expected:${f.expected ? 1 : 0} pid:${f.lastPid ?? 0}`;
    case "RUNNING":
    case "STOPPING":
      return `${base} pid:${f.pid ?? f.lastPid ?? 0}`;
    case "STOPPED":
      return `${base} pid:${from === "STOPPING" ? f.lastPid ?? 0 : 0}`;
    default:
      return base;
  }
}

/** TICK_5 / TICK_60 / TICK_3600 payload. */
export function tickEvent(period: number, when: number): SupervisorEvent {
  return { name: `TICK_${period}`, payload: `when:${when}` };
}

/** PROCESS_GROUP_ADDED / _REMOVED. */
export function groupEvent(kind: "ADDED" | "REMOVED", group: string): SupervisorEvent {
  return { name: `PROCESS_GROUP_${kind}`, payload: `groupname:${group}\n` };
}

/** PROCESS_LOG_STDOUT / _STDERR for one chunk of output. */
export function logEvent(
  channel: "stdout" | "stderr",
  processName: string,
  group: string,
  pid: number,
  data: string,
): SupervisorEvent {
  return {
    name: `PROCESS_LOG_${channel.toUpperCase()}`,
    payload: `processname:${processName} groupname:${group} pid:${pid} channel:${channel}\n${data}`,
  };
}

/** REMOTE_COMMUNICATION, from supervisor.sendRemoteCommEvent. */
export function remoteEvent(type: string, data: string): SupervisorEvent {
  return { name: "REMOTE_COMMUNICATION", payload: `type:${type}\n${data}` };
}

/** SUPERVISOR_STATE_CHANGE_RUNNING / _STOPPING (empty payload). */
export function supervisorStateEvent(state: "RUNNING" | "STOPPING"): SupervisorEvent {
  return { name: `SUPERVISOR_STATE_CHANGE_${state}`, payload: "" };
}

/** The tick periods and supervisord's timeslice: the start of the period `now` falls in. */
export const TICK_PERIODS = [5, 60, 3600] as const;
export function timeslice(period: number, nowSeconds: number): number {
  return Math.trunc(nowSeconds - (nowSeconds % period));
}
