/**
 * A short burst of system calls run with the calling thread at real-time
 * priority (SCHED_FIFO 1), where the daemon is allowed to (root,
 * CAP_SYS_NICE or an RLIMIT_RTPRIO). The burst is a stop's stopsignals:
 * each one wakes a program that then exits at once, and under the normal
 * policy the woken programs preempt the loop that signals them, so the
 * stopsignals of 100 `sleep`s went out over 3.5–6 ms instead of ~1 ms, and
 * the last program was signalled (and died) that much later
 * (bench/RESULTS.md, "Nineteenth pass"). A real-time thread is not preempted
 * by them; the programs exit on the other CPUs meanwhile, and on this one
 * once the burst is over.
 *
 * The thread's own policy comes back after the burst, also when it throws.
 * With SCHED_RESET_ON_FORK, a process or thread made during the burst
 * would not inherit the priority (none is: the burst only signals). A
 * thread without CAP_SYS_NICE (raised through its RLIMIT_RTPRIO) may not
 * clear that flag again: it goes back to its own policy with the flag kept,
 * whose only other effect is that its children start at nice 0 if it ran
 * at a negative nice. A thread that is already real-time, or a daemon that
 * may not raise it (learnt once), runs the burst as it is.
 *
 * @module
 */

import { libc } from "./libc.ts";

/** Linux's policy numbers (sched.h). */
export const SCHED = {
  OTHER: 0,
  FIFO: 1,
  RR: 2,
  BATCH: 3,
  IDLE: 5,
  DEADLINE: 6,
  RESET_ON_FORK: 0x40000000,
} as const;

const BURST_PARAM = new Int32Array([1]);
const NORMAL_PARAM = new Int32Array([0]);

/** False once the kernel refused the raise (no privilege): never asked again. */
let allowed = true;

/** The calling thread's policy, SCHED_RESET_ON_FORK included; null without FFI. */
export function threadPolicy(): number | null {
  const c = libc();
  if (c === null) return null;
  const policy = c.symbols.sched_getscheduler(0);
  return policy < 0 ? null : policy;
}

/** Runs `burst` with the calling thread at real-time priority when it may be; returns its result. */
export function realtimeBurst<T>(burst: () => T): T {
  const policy = allowed ? threadPolicy() : null;
  if (policy === null || !isNormal(policy)) return burst();
  // threadPolicy() found libc.
  const c = libc()!;
  if (c.symbols.sched_setscheduler(0, SCHED.FIFO | SCHED.RESET_ON_FORK, BURST_PARAM) !== 0) {
    allowed = false;
    return burst();
  }
  try {
    return burst();
  } finally {
    if (c.symbols.sched_setscheduler(0, policy, NORMAL_PARAM) !== 0) {
      c.symbols.sched_setscheduler(0, policy | SCHED.RESET_ON_FORK, NORMAL_PARAM);
    }
  }
}

/** SCHED_OTHER, SCHED_BATCH or SCHED_IDLE: not real-time or deadline already. */
function isNormal(policy: number): boolean {
  const base = policy & ~SCHED.RESET_ON_FORK;
  return base === SCHED.OTHER || base === SCHED.BATCH || base === SCHED.IDLE;
}
