/**
 * The one-line description of an instance that `status` shows (supervisord's
 * wording: `pid 42, uptime 0:01:02`, `Exited too quickly (exit status 1)`,
 * `Nov 26 06:14 AM, exit status 0 (expected)`), from its snapshot.
 *
 * @module
 */

import type { ProcessSnapshot } from "./snapshot.ts";
import { describeExit } from "./edges.ts";
import { describeRunning, formatStopTime } from "../util/time_format.ts";

/** ` (restarted: liveness failed 3 times: HTTP 503)` after a health restart. */
function restartNote(reason: string | null | undefined): string {
  return reason === null || reason === undefined ? "" : ` (restarted: ${reason})`;
}

/** `, READY` / `, NOT READY` after a RUNNING description; nothing without a readiness probe. */
export function readiness(ready: boolean | null): string {
  return ready === null ? "" : ready ? ", READY" : ", NOT READY";
}
/** `uptime` in seconds; `ready` null without a readiness probe. */
export function describe(s: ProcessSnapshot, uptime: number | null, ready: boolean | null): string {
  const exit = describeExit(s.exitcode, s.signal);
  switch (s.state) {
    case "RUNNING":
      return `${describeRunning(s.pid ?? 0, uptime ?? 0)}${readiness(ready)}${
        restartNote(s.lastHealthRestart)
      }`;
    case "WAITING":
      return `waiting for ${s.waitingFor ?? "dependencies"}`;
    case "BLOCKED":
      return s.blockedBy ?? "blocked";
    case "STARTING":
      return s.pid === null ? "" : `pid ${s.pid}${restartNote(s.lastHealthRestart)}`;
    case "STOPPING":
      if (s.restartReason !== null) return `pid ${s.pid ?? "-"}, restarting: ${s.restartReason}`;
      return s.pid === null ? "" : `pid ${s.pid}`;
    case "BACKOFF":
    case "FATAL":
      return s.spawnerr ?? `Exited too quickly (${exit})`;
    case "EXITED":
      return `${formatStopTime(s.stoppedAt ?? 0)}, ${exit} (${
        s.expected ? "expected" : "not expected"
      })`;
    case "STOPPED":
      if (s.stoppedAt === null) return "Not started";
      return s.exitcode === null && s.signal === null
        ? formatStopTime(s.stoppedAt)
        : `${formatStopTime(s.stoppedAt)}, ${exit}`;
    default:
      return "";
  }
}
