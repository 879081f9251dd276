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
import type { Clock } from "../util/clock.ts";
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
  /** Members outside the group not yet sent the stopsignal that went ahead, and its deadline. */
  #owed: { readonly members: MembersOwed; readonly deadline: QueuedDeadline } | null = null;
  /** Where a debt waits at most {@link MEMBERS_GRACE_MS}: shared by every instance on one clock. */
  readonly #grace: FixedDelayQueue;

  /** `clock`: the runner's, on which a debt's grace runs out. */
  constructor(os: ProcessOs, cgroups: CgroupPort | null | undefined, clock: Clock) {
    this.#os = os;
    this.#cgroups = cgroups ?? null;
    this.#grace = membersGrace(clock);
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
   * exit is reported with something left ({@link leaderReaped}), after
   * {@link MEMBERS_GRACE_MS} if the leader is still alive, or just before a
   * later signal (stoptime's SIGKILL, which may come sooner than the grace).
   */
  send(target: GroupTarget, signal: Deno.Signal, stopsignal: Deno.Signal): string | null {
    const { pgid, cgroup } = target;
    const ahead = this.#signalledAhead;
    this.#signalledAhead = null;
    const owed = this.#takeOwed();
    if (owed !== null) this.#pay(owed);
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
    if (this.#owed?.members.pgid !== pgid) return;
    const owed = this.#takeOwed()!;
    if (leftBehind) this.#pay(owed);
  }

  /**
   * Forgets a debt unpaid: the instance is forgotten. (A new run never finds
   * one: a debt lives only while its stop does, and the stop ends at the
   * leader's exit report, which settles it.)
   */
  forgetOwed(): void {
    this.#takeOwed();
  }

  #owe(members: MembersOwed): void {
    const deadline = this.#grace.add(() => {
      this.#owed = null;
      this.#pay(members);
    });
    this.#owed = { members, deadline };
  }

  #pay(owed: MembersOwed): void {
    this.#cgroups?.signal(owed.cgroup, owed.signal, owed.pgid);
  }

  /** The debt, no longer owed (its deadline dropped); null when there is none. */
  #takeOwed(): MembersOwed | null {
    const owed = this.#owed;
    if (owed === null) return null;
    this.#owed = null;
    this.#grace.delete(owed.deadline);
    return owed.members;
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
 * long enough for a stop of hundreds to reap. A stoptime shorter than this
 * pays the debt just before its SIGKILL.
 */
export const MEMBERS_GRACE_MS = 50;

/** Each clock's queue of debts: one timer for every instance's. */
const GRACE_QUEUES = new WeakMap<Clock, FixedDelayQueue>();

function membersGrace(clock: Clock): FixedDelayQueue {
  let queue = GRACE_QUEUES.get(clock);
  if (queue === undefined) {
    queue = new FixedDelayQueue(MEMBERS_GRACE_MS, {
      now: () => clock.now(),
      arm: (fn, ms) => clock.schedule(clock.now() + ms, fn),
    });
    GRACE_QUEUES.set(clock, queue);
  }
  return queue;
}
