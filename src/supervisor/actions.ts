/**
 * How one command acts on a set of instances and waits for the outcome,
 * with supervisorctl's waiting rules: a start waits until RUNNING (or a
 * failure), a stop until the process is gone; stops go in reverse priority
 * (or dependency waves), each level fully down before the next. Also the
 * shutdown clean-up of cgroups that exited programs left behind.
 *
 * @module
 */

import type { ActionResult } from "../api/protocol.ts";
import type { CgroupPort } from "../process/cgroups.ts";
import type { ProcessRunner } from "../process/runner.ts";
import type { ProcessSnapshot } from "../process/snapshot.ts";
import { stopTargets } from "../process/stop_policy.ts";
import type { Clock } from "../util/clock.ts";

/**
 * How long `start` waits for a target held in WAITING by its dependencies;
 * past it the answer says what it still waits for (it starts by itself once
 * they are met).
 */
export const START_WAIT_LIMIT_MS = 30_000;

/** Ends what exited programs left in their cgroups: stopsignal, SIGKILL after stoptime. */
export async function stopLeftoverCgroups(
  port: CgroupPort,
  leftovers: readonly { cgroup: string; signal: Deno.Signal; stoptimeMs: number }[],
  clock: Clock,
): Promise<void> {
  await stopTargets(leftovers, {
    signal: (l, signal) => port.signal(l.cgroup, signal),
    alive: (l) => port.populated(l.cgroup),
  }, clock);
  for (const l of leftovers) port.release(l.cgroup);
}

/**
 * Starts one runner through `begin` and waits until it is RUNNING or has
 * failed. A runner already WAITING or BLOCKED is waited for, not refused:
 * a `start` may just have started what it waits for.
 */
export async function startOne(
  runner: ProcessRunner,
  begin: () => ReturnType<ProcessRunner["dispatch"]>,
  clock: Clock,
): Promise<ActionResult> {
  const held = runner.state === "WAITING" || runner.state === "BLOCKED";
  const result = held ? undefined : begin();
  if (result?.rejected === "ALREADY_STARTED") {
    return failure(runner.name, "ALREADY_STARTED", `${runner.name} is already started`);
  }
  if (result?.rejected !== undefined) {
    return failure(runner.name, "NOT_RUNNING", `${runner.name} is stopping`);
  }
  // Let the dependency gate see what was just started.
  await Promise.resolve();
  // Waiting for dependencies is bounded: a dependency that never becomes
  // ready must not hold the shell (or a reload, behind the lock) for ever.
  const patience = new AbortController();
  const cancel = clock.schedule(clock.now() + START_WAIT_LIMIT_MS, () => patience.abort());
  const snap = await runner.waitFor(
    (s) => s.state !== "STARTING" && s.state !== "WAITING",
    patience.signal,
  ).finally(cancel);
  if (snap.state === "WAITING") {
    return { name: runner.name, ok: true, waiting: snap.waitingFor ?? "its dependencies" };
  }
  if (snap.state === "STARTING") {
    // Spawned but not up for starttime yet: wait for the outcome, as supervisorctl does.
    return startOutcome(runner, await runner.waitFor((s) => s.state !== "STARTING"));
  }
  return startOutcome(runner, snap);
}

function startOutcome(runner: ProcessRunner, snap: ProcessSnapshot): ActionResult {
  if (snap.state === "RUNNING") return { name: runner.name, ok: true };
  if (snap.state === "BLOCKED") {
    return failure(runner.name, "BLOCKED", `blocked: ${snap.blockedBy ?? "a dependency failed"}`);
  }
  if (snap.state === "EXITED" && snap.expected) return { name: runner.name, ok: true };
  if (snap.state === "STOPPED") {
    return failure(runner.name, "NOT_RUNNING", `${runner.name} was stopped`);
  }
  if (snap.spawnerr !== null) return failure(runner.name, "SPAWN_ERROR", snap.spawnerr);
  return failure(runner.name, "ABNORMAL_TERMINATION", `${runner.name} exited too quickly`);
}

/** Stops wave by wave (see stopWaves), each wave in reverse priority. */
export async function stopInWaves(
  runners: readonly ProcessRunner[],
  waves: ReadonlyMap<string, number>,
): Promise<ActionResult[]> {
  const order = [...new Set(runners.map((r) => waves.get(r.program) ?? 0))].sort((a, b) => a - b);
  const results = new Map<ProcessRunner, ActionResult>();
  for (const wave of order) {
    const batch = runners.filter((r) => (waves.get(r.program) ?? 0) === wave);
    const done = await stopInOrder(batch);
    batch.forEach((r, i) => results.set(r, done[i]!));
  }
  return runners.map((r) => results.get(r)!);
}

/** Stops in reverse priority: each priority level is fully stopped before the next. */
export async function stopInOrder(runners: readonly ProcessRunner[]): Promise<ActionResult[]> {
  const levels = [...new Set(runners.map((r) => r.config.priority))].sort((a, b) => b - a);
  const results = new Map<ProcessRunner, ActionResult>();
  for (const level of levels) {
    const batch = runners.filter((r) => r.config.priority === level);
    // Every stopsignal first, then the state changes and logs of each.
    for (const runner of batch) runner.signalStopAhead();
    const done = await Promise.all(batch.map((r) => stopOne(r)));
    batch.forEach((r, i) => results.set(r, done[i]!));
  }
  return runners.map((r) => results.get(r)!);
}

async function stopOne(runner: ProcessRunner): Promise<ActionResult> {
  const result = runner.dispatch({ kind: "stop" });
  if (result.rejected !== undefined) {
    return failure(runner.name, "NOT_RUNNING", `${runner.name} is not running`);
  }
  await runner.waitFor((s) => s.state !== "STOPPING");
  return { name: runner.name, ok: true };
}

export function failure(
  name: string,
  code: NonNullable<ActionResult["error"]>["code"],
  message: string,
): ActionResult {
  return { name, ok: false, error: { code, message } };
}
