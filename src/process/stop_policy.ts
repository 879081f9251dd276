/**
 * The stop policy for what is left behind (process groups, cgroups): each
 * target gets its stopsignal, then SIGKILL after its stoptime, and the
 * wait goes on until the kernel says it is gone — for a group, reaped too:
 * a zombie handed to an init that never reaps would stay for ever.
 *
 * @module
 */

import { type Clock, sleep } from "../util/clock.ts";

/** One thing to stop, with its program's stopsignal and stoptime. */
export interface StopTarget {
  readonly signal: Deno.Signal;
  readonly stoptimeMs: number;
}

/** How to signal a target and whether anything of it is left. */
export interface StopOps<T> {
  signal(target: T, signal: Deno.Signal): void;
  alive(target: T): boolean;
}

/** How long a SIGKILLed target may take to be gone. */
const KILL_WAIT_MS = 5_000;

/** Stops `targets`: stopsignal, SIGKILL after the longest stoptime, then waits for the end. */
export async function stopTargets<T extends StopTarget>(
  targets: readonly T[],
  ops: StopOps<T>,
  clock: Clock,
): Promise<void> {
  for (const t of targets) ops.signal(t, t.signal);
  const deadline = clock.now() + Math.max(0, ...targets.map((t) => t.stoptimeMs));
  let alive = targets.filter((t) => ops.alive(t));
  while (alive.length > 0 && clock.now() < deadline) {
    await sleep(clock, 25);
    alive = alive.filter((t) => ops.alive(t));
  }
  for (const t of alive) ops.signal(t, "SIGKILL");
  const killDeadline = clock.now() + KILL_WAIT_MS;
  while (alive.some((t) => ops.alive(t)) && clock.now() < killDeadline) {
    await sleep(clock, 10);
  }
}
