/**
 * How an instance's processes are signalled: a stop (or its SIGKILL) goes to
 * the whole process group and to the members of the instance's cgroup that
 * left the group (setsid), each once. A stop of many instances may send its
 * stopsignals ahead, in one tight loop (see {@link GroupSignaller.ahead}),
 * and the stop event that follows then does not send them again; the
 * members outside the group then get theirs once the leader is reaped, or
 * a short grace later (see {@link GroupSignaller.send}).
 *
 * @module
 */

import type { CgroupPort } from "./cgroups.ts";
import type { ProcessOs } from "./process_os.ts";
import { FixedDelayQueue, type QueuedDeadline } from "../util/fixed_delay_queue.ts";

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
  /** Members outside the group not yet sent the stopsignal that went ahead. */
  #owed: MembersOwed | null = null;
  #owedDeadline: QueuedDeadline | null = null;

  constructor(os: ProcessOs, cgroups: CgroupPort | null | undefined) {
    this.#os = os;
    this.#cgroups = cgroups ?? null;
  }

  /**
   * Sends the stopsignal to `pgid` now, ahead of the stop event that follows
   * in this same turn: the children start exiting while the bookkeeping of
   * the others (state changes, log lines) runs, as they would under a C
   * supervisor.
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
   *
   * When it went ahead, the cgroup's members outside the group are owed it
   * rather than read and signalled now: most groups are gone a few ms later,
   * their cgroup empty, and a stop of 100 spent ~1.6 ms reading cgroup.procs
   * files while its children were dying. The debt is paid when the leader's
   * exit is reported with something left ({@link leaderReaped}), or after
   * {@link MEMBERS_GRACE_MS} if the leader is still alive.
   */
  send(target: GroupTarget, signal: Deno.Signal, stopsignal: Deno.Signal): string | null {
    const { pgid, cgroup } = target;
    const ahead = this.#signalledAhead;
    this.#signalledAhead = null;
    // A later signal (SIGKILL at stoptime, another stop) supersedes a debt.
    this.#forgetOwed();
    const wentAhead = pgid !== null && ahead === pgid && signal === stopsignal;
    // Members that left the process group (setsid) are still in the cgroup.
    if (cgroup !== null && this.#cgroups !== null) {
      if (wentAhead) this.#owe({ cgroup, signal, pgid });
      else this.#cgroups.signal(cgroup, signal, pgid);
    }
    if (pgid === null || wentAhead) return null;
    try {
      this.#os.signalGroup(pgid, signal);
      return null;
    } catch (error) {
      return `couldn't signal '${target.name}' (group ${pgid}) with ${signal}: ${
        error instanceof Error ? error.message : String(error)
      }`;
    }
  }

  /**
   * The leader of group `pgid` was reaped during its stop; `leftBehind`:
   * its group or cgroup still has processes. Those outside the group get
   * the stopsignal they are owed now; with nothing left, nobody is owed it.
   */
  leaderReaped(pgid: number, leftBehind: boolean): void {
    const owed = this.#owed;
    if (owed === null || owed.pgid !== pgid) return;
    this.#forgetOwed();
    if (leftBehind) this.#pay(owed);
  }

  /** Forgets a debt (the instance is forgotten). */
  dispose(): void {
    this.#forgetOwed();
  }

  #owe(owed: MembersOwed): void {
    this.#owed = owed;
    this.#owedDeadline = owedMembers.add(() => {
      this.#owed = null;
      this.#owedDeadline = null;
      this.#pay(owed);
    });
  }

  #pay(owed: MembersOwed): void {
    this.#cgroups?.signal(owed.cgroup, owed.signal, owed.pgid);
  }

  #forgetOwed(): void {
    this.#owed = null;
    if (this.#owedDeadline !== null) owedMembers.delete(this.#owedDeadline);
    this.#owedDeadline = null;
  }
}

/** A stopsignal the members of `cgroup` outside group `pgid` are owed (see GroupSignaller.send). */
interface MembersOwed {
  readonly cgroup: string;
  readonly signal: Deno.Signal;
  readonly pgid: number;
}

/**
 * How long members outside the group wait at most for their stopsignal
 * while the leader lives on (it ignores the signal, or takes its time):
 * short next to any stoptime, long enough for a stop of hundreds to reap.
 */
export const MEMBERS_GRACE_MS = 50;

/** The debts of every instance, under one timer. */
const owedMembers = new FixedDelayQueue(MEMBERS_GRACE_MS);
