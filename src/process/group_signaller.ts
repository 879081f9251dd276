/**
 * How an instance's processes are signalled: a stop (or its SIGKILL) goes to
 * the whole process group and to the members of the instance's cgroup that
 * left the group (setsid), each once. A stop of many instances may send its
 * stopsignals ahead, in one tight loop (see {@link GroupSignaller.ahead}),
 * and the stop event that follows then does not send them again.
 *
 * @module
 */

import type { CgroupPort } from "./cgroups.ts";
import type { ProcessOs } from "./process_os.ts";

/** What one signalling is about. */
export interface GroupTarget {
  /** The instance name, for the error line. */
  readonly name: string;
  readonly pgid: number | null;
  readonly cgroup: string | null;
}

/** Signals one instance's process group and cgroup. */
export class GroupSignaller {
  readonly #os: ProcessOs;
  readonly #cgroups: CgroupPort | null;
  /** The process group already sent its stopsignal by {@link ahead}. */
  #signalledAhead: number | null = null;

  constructor(os: ProcessOs, cgroups: CgroupPort | null | undefined) {
    this.#os = os;
    this.#cgroups = cgroups ?? null;
  }

  /**
   * Sends the stopsignal to `pgid` now, ahead of the stop event that follows
   * in this same turn: the children start exiting while the bookkeeping of
   * the others (state changes, log lines, cgroup members) runs, as they
   * would under a C supervisor.
   */
  ahead(pgid: number, stopsignal: Deno.Signal): void {
    try {
      this.#os.signalGroup(pgid, stopsignal);
    } catch {
      return; // EPERM: the stop event's own signal reports it.
    }
    this.#signalledAhead = pgid;
    // Only the stop dispatched in this same turn may count on it.
    queueMicrotask(() => this.#signalledAhead = null);
  }

  /**
   * Sends `signal` to the group and cgroup, unless {@link ahead} just sent
   * this stopsignal. Returns why the group could not be signalled, else null.
   */
  send(target: GroupTarget, signal: Deno.Signal, stopsignal: Deno.Signal): string | null {
    const { pgid, cgroup } = target;
    const ahead = this.#signalledAhead;
    this.#signalledAhead = null;
    // Members that left the process group (setsid) are still in the cgroup.
    if (cgroup !== null) this.#cgroups?.signal(cgroup, signal, pgid);
    if (pgid === null) return null;
    if (ahead === pgid && signal === stopsignal) return null;
    try {
      this.#os.signalGroup(pgid, signal);
      return null;
    } catch (error) {
      return `couldn't signal '${target.name}' (group ${pgid}) with ${signal}: ${
        error instanceof Error ? error.message : String(error)
      }`;
    }
  }
}
