/**
 * The status record of one instance (`ProcessInfo`: what `status`, the API
 * and the dashboard show), built from its snapshot and the few facts the
 * runner holds beside it. Pure: the time comes in.
 *
 * @module
 */

import type { ProcessInfo } from "../api/protocol.ts";
import { describe } from "./describe.ts";
import type { ProcessSnapshot } from "./snapshot.ts";
import type { StreamTarget } from "./runner_deps.ts";

/** What the runner knows of an instance beyond its snapshot. */
export interface InstanceFacts {
  readonly name: string;
  readonly program: string;
  readonly index: number;
  readonly snapshot: ProcessSnapshot;
  /** Epoch ms. */
  readonly now: number;
  /** null without a readiness probe. */
  readonly ready: boolean | null;
  readonly restarts: number;
  readonly targets: { stdout: StreamTarget; stderr: StreamTarget };
  /** The cgroup shown, with its process count (see Leftovers.shown). */
  readonly cgroup: { cgroup: string | null; processes: number | null };
}

/** The status record of an instance. Resources (cpu, rss) are filled in later by the monitor. */
export function instanceInfo(facts: InstanceFacts): ProcessInfo {
  const s = facts.snapshot;
  const live = s.pid !== null;
  const uptime = live && s.startedAt !== null
    ? Math.max(0, (facts.now - s.startedAt) / 1000)
    : null;
  return {
    name: facts.name,
    program: facts.program,
    index: facts.index,
    state: s.state,
    pid: s.pid,
    exitcode: s.exitcode,
    signal: s.signal,
    uptime: uptime === null ? null : Math.floor(uptime),
    spawnerr: s.spawnerr,
    description: describe(s, uptime, facts.ready),
    startedAt: s.startedAt,
    stoppedAt: s.stoppedAt,
    stdout: facts.targets.stdout.path,
    stderr: facts.targets.stderr.path,
    cpu_percent: 0,
    rss_bytes: 0,
    restarts: facts.restarts,
    started_at: s.startedAt === null ? null : s.startedAt / 1000,
    waiting_for: s.waitingFor,
    blocked_by: s.blockedBy,
    ready: facts.ready,
    restart_reason: s.lastHealthRestart,
    cgroup: facts.cgroup.cgroup,
    processes: facts.cgroup.processes,
  };
}
