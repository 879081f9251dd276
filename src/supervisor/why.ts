/**
 * `why NAME`: one paragraph explaining an instance's state from its snapshot,
 * its configuration and its recorded events. Pure: time comes in as `now`.
 *
 * @module
 */

import type { ProgramConfig } from "../config/types.ts";
import { describeExit } from "../process/edges.ts";
import { type ProcessSnapshot } from "../process/snapshot.ts";
import { formatUptime } from "../util/time_format.ts";
import type { HistoryEntry } from "./history.ts";

/** What {@link explain} reads. */
export interface WhyInput {
  readonly name: string;
  readonly snapshot: ProcessSnapshot;
  readonly config: ProgramConfig;
  /** Readiness: null without a probe. */
  readonly ready: boolean | null;
  /** Oldest first. */
  readonly history: readonly HistoryEntry[];
  readonly now: number;
}

/** Events that explain a restart, newest wins. */
const RESTART_CAUSE = /^(unhealthy: |exited: )/;

/** The paragraph. */
export function explain(input: WhyInput): string {
  const { name, snapshot: s, config, now } = input;
  const parts: string[] = [stateSentence(input)];
  const spawns = input.history.filter((e) => e.message.startsWith(`spawned: '${name}'`));
  if (s.restarts > 0) {
    const lastSpawn = spawns[spawns.length - 1];
    const before = lastSpawn === undefined
      ? []
      : input.history.filter((e) => e.at <= lastSpawn.at && e !== lastSpawn);
    const cause = [...before].reverse().find((e) => RESTART_CAUSE.test(e.message));
    const when = lastSpawn === undefined ? "" : ago(now, lastSpawn.at);
    const reason = cause === undefined ? "" : ` after "${cause.message}"`;
    parts.push(
      `taskmaster has restarted it ${s.restarts} time${
        s.restarts === 1 ? "" : "s"
      }; the last restart was${when}${reason}.`,
    );
  }
  const next = nextRetry(s, config, now);
  if (next !== null) parts.push(next);
  const last = input.history[input.history.length - 1];
  if (last !== undefined) parts.push(`Last event${ago(now, last.at, " ")}: ${last.message}.`);
  return parts.join(" ");
}

function stateSentence(input: WhyInput): string {
  const { name, snapshot: s, config, ready, now } = input;
  const exit = describeExit(s.exitcode, s.signal);
  switch (s.state) {
    case "RUNNING": {
      const up = s.startedAt === null ? "" : `, up ${formatUptime((now - s.startedAt) / 1000)}`;
      const health = ready === null
        ? ""
        : ready
        ? "; its readiness probe passes (READY)"
        : "; its readiness probe does not pass yet (NOT READY), so dependents that need it healthy wait";
      return `${name} is RUNNING (pid ${s.pid}${up})${health}.`;
    }
    case "STARTING":
      return `${name} is STARTING: spawned${
        s.startedAt === null ? "" : ago(now, s.startedAt, " ")
      }, it counts as started once up ${config.starttime} s (starttime).`;
    case "WAITING":
      return `${name} is WAITING: it is not started yet because it waits for ${s.waitingFor}; it starts as soon as they are met.`;
    case "BLOCKED":
      return `${name} is BLOCKED: ${s.blockedBy}, so it cannot start (it waits for ${s.waitingFor}); it starts by itself once that dependency comes back (for example after a manual start).`;
    case "BACKOFF":
      return `${name} is BACKOFF: its last start failed (${
        s.spawnerr ?? `${exit} before starttime`
      }), attempt ${s.backoff} of ${config.startretries} retries.`;
    case "FATAL":
      return `${name} is FATAL: it failed to start ${
        config.startretries + 1
      } times in a row (last: ${
        s.spawnerr ?? exit
      }), so taskmaster gave up; start it by hand once the cause is fixed.`;
    case "EXITED":
      return `${name} is EXITED: it exited${
        s.stoppedAt === null ? "" : ago(now, s.stoppedAt, " ")
      } with ${exit} (${
        s.expected ? "expected" : "not expected"
      }); autorestart is ${config.autorestart}${
        s.restartPending ? ", and a restart is scheduled" : ", so it stays down"
      }.`;
    case "STOPPING":
      return `${name} is STOPPING: ${
        s.restartReason === null ? "a stop" : `a restart (${s.restartReason})`
      } is waiting for its process group to exit (SIGKILL after ${config.stoptime} s).`;
    case "STOPPED":
      if (s.stoppedAt === null) {
        return `${name} is STOPPED: it was never started${
          config.autostart ? "" : " (autostart is false)"
        }.`;
      }
      return `${name} is STOPPED: it was stopped${
        ago(now, s.stoppedAt, " ")
      } and stays down until started.`;
    default:
      return `${name} is ${s.state}.`;
  }
}

function nextRetry(s: ProcessSnapshot, _config: ProgramConfig, now: number): string | null {
  if (s.state === "BACKOFF" && s.stoppedAt !== null) {
    const at = s.stoppedAt + s.backoff * 1000;
    return `Next retry in ${Math.max(0, (at - now) / 1000).toFixed(1)} s.`;
  }
  if (s.state === "EXITED" && s.restartPending && s.startedAt !== null) {
    const at = s.startedAt + 1000;
    return `Next restart in ${Math.max(0, (at - now) / 1000).toFixed(1)} s.`;
  }
  return null;
}

/** ` 3 s ago` / ` at 2026-12-01T20:41:02Z` for old events. */
function ago(now: number, at: number, lead = " "): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 3600) return `${lead}${seconds} s ago`;
  return `${lead}at ${new Date(at).toISOString().replace(/\.\d+Z$/, "Z")}`;
}
