/**
 * Pure text for the shell: the status table, uptimes, per-process result
 * lines and the reload report, in supervisorctl's exact layouts so that
 * scripts written against supervisorctl keep working.
 *
 * @module
 */

import type { ActionResult, ProcessInfo, ReloadReport } from "../api/protocol.ts";
import type { ErrorCode } from "../util/errors.ts";
import { describeRunning } from "../util/time_format.ts";

/** Width of the state column: `'%-10s'` in supervisorctl. */
const STATE_WIDTH = 10;
/** supervisorctl never makes the name column narrower than this (plus 3). */
const MIN_NAME_WIDTH = 30;

/**
 * The description column. For a live RUNNING process the uptime is
 * recomputed from `uptime` (so it is exact at print time); every other state
 * keeps the supervisor's own words (spawn error, stop time, exit status…).
 */
export function describeProcess(info: ProcessInfo): string {
  if (info.state === "RUNNING" && info.pid !== null && info.uptime !== null) {
    const ready = info.ready === undefined || info.ready === null
      ? ""
      : info.ready
      ? ", READY"
      : ", NOT READY";
    const restarted = info.restart_reason ? ` (restarted: ${info.restart_reason})` : "";
    return `${describeRunning(info.pid, info.uptime)}${ready}${restarted}`;
  }
  return info.description;
}

/**
 * supervisorctl's status table: `'%-{W}s%-10s%s'` per line with
 * `W = max(30, longest name) + 3`. Every line ends with a newline; an empty
 * list gives an empty string. Trailing spaces are kept (a STARTING line ends
 * in the padded state), exactly as supervisorctl prints them.
 */
export function formatStatusTable(processes: readonly ProcessInfo[]): string {
  const width = Math.max(MIN_NAME_WIDTH, ...processes.map((p) => p.name.length)) + 3;
  return processes
    .map((p) => `${p.name.padEnd(width)}${p.state.padEnd(STATE_WIDTH)}${describeProcess(p)}\n`)
    .join("");
}

/** supervisorctl's wording for a per-process failure, by error code. */
const ERROR_TEXT: Partial<Record<ErrorCode, string>> = {
  BAD_NAME: "no such process",
  BAD_SIGNAL: "bad signal name",
  ALREADY_STARTED: "already started",
  NOT_RUNNING: "not running",
  SPAWN_ERROR: "spawn error",
  ABNORMAL_TERMINATION: "abnormal termination",
  NO_FILE: "no such file",
  SHUTTING_DOWN: "shutting down",
};

/** `NAME: ERROR (reason)` for a failure code; unknown codes show their message. */
export function errorResultLine(name: string, code: ErrorCode, message: string): string {
  return `${name}: ERROR (${ERROR_TEXT[code] ?? firstLine(message)})`;
}

/**
 * One result line: `web:0: started` when ok (with the verb the caller
 * passes), else the supervisorctl error text for its code.
 */
export function formatActionResult(result: ActionResult, verb: string): string {
  if (result.ok && result.waiting !== undefined) {
    return `${result.name}: waiting for ${result.waiting}`;
  }
  if (result.ok) {
    return result.note === undefined
      ? `${result.name}: ${verb}`
      : `${result.name}: ${verb} (${result.note})`;
  }
  const error = result.error ?? { code: "INTERNAL" as const, message: "unknown error" };
  return errorResultLine(result.name, error.code, error.message);
}

/**
 * The reload report, one line per program, in the order supervisorctl's
 * `update` acts: removed, changed, updated, added. Nothing changed gives
 * supervisorctl's `No config updates to processes`.
 */
export function formatReloadReport(report: ReloadReport): string {
  const lines = [
    ...report.removed.map((name) => `${name}: removed`),
    ...report.changed.map((name) => `${name}: changed (restarted)`),
    ...report.updated.map((name) => `${name}: updated (no restart)`),
    ...report.added.map((name) => `${name}: added`),
  ];
  if (lines.length === 0) return "No config updates to processes\n";
  return lines.map((line) => `${line}\n`).join("");
}

/** The first line of a possibly multi-line message, trimmed. */
export function firstLine(message: string): string {
  return (message.split("\n", 1)[0] ?? "").trim();
}
