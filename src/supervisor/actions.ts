/**
 * How one command acts on a set of instances and waits for the outcome,
 * with supervisorctl's waiting rules: a start waits until RUNNING (or a
 * failure), a stop until the process is gone; stops go in reverse priority
 * (or dependency waves), each level fully down before the next. Also the
 * shutdown clean-up of process groups and cgroups that exited programs
 * left behind.
 *
 * @module
 */

import type { ActionResult } from "../api/protocol.ts";
import type { CgroupPort } from "../process/cgroups.ts";
import { stopLeftoverGroups } from "../process/group.ts";
import type { ProcessOs } from "../process/process_os.ts";
import type { EventLogger } from "../process/runner_deps.ts";
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

/** What the shutdown clean-up reaches the OS and the event log through. */
export interface LeftoverPorts {
  readonly clock: Clock;
  readonly os: ProcessOs;
  readonly cgroups?: CgroupPort | null;
  readonly log: EventLogger;
}

/**
 * Ends, at shutdown, what programs that exited by themselves left behind:
 * process groups and cgroups whose leader is gone but members live on.
 */
export async function stopLeftovers(
  runners: readonly ProcessRunner[],
  ports: LeftoverPorts,
): Promise<void> {
  const leftovers = runners.flatMap((r) => r.leftoverGroups());
  const cgroups = runners.flatMap((r) => r.leftoverCgroups());
  const [stopped] = await Promise.all([
    leftovers.length > 0 ? stopLeftoverGroups(leftovers, ports.clock, ports.os) : [],
    ports.cgroups ? stopLeftoverCgroups(ports.cgroups, cgroups, ports.clock) : [],
  ]);
  for (const pgid of stopped) {
    ports.log("info", `stopped process group ${pgid}, left behind by an exited program`);
  }
  for (const { cgroup } of cgroups) {
    ports.log("info", `stopped cgroup ${cgroup}, left behind by an exited program`);
  }
}

/** Ends what exited programs left in their cgroups: stopsignal, SIGKILL after stoptime. */
async function stopLeftoverCgroups(
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
 * Starts `pulled` (the dependencies a start needs, deepest first), then
 * `targets`, each through `begin`, and waits for all. Dependencies started
 * on the way are reported too, before the targets, with the note
 * `dependency`; one that was already started is not reported.
 */
export async function startAll(
  pulled: readonly ProcessRunner[],
  targets: readonly ProcessRunner[],
  begin: (runner: ProcessRunner) => ReturnType<ProcessRunner["dispatch"]>,
  clock: Clock,
): Promise<ActionResult[]> {
  const done = await Promise.all(
    [...pulled, ...targets].map((r) => startOne(r, () => begin(r), clock)),
  );
  return done.map((result, i) => i < pulled.length ? { ...result, note: "dependency" } : result)
    .filter((result, i) =>
      i >= pulled.length || result.ok || result.error?.code !== "ALREADY_STARTED"
    );
}

/**
 * Restarts the runners: all stop (in reverse priority), then each starts
 * through `begin`. One result per instance: a stopped one is simply
 * started (as supervisorctl's restart does), so only the start can fail.
 */
export async function restartInOrder(
  runners: readonly ProcessRunner[],
  begin: (runner: ProcessRunner) => ReturnType<ProcessRunner["dispatch"]>,
  clock: Clock,
): Promise<ActionResult[]> {
  const stopped = await stopInOrder(runners);
  const started = await Promise.all(runners.map((r) => startOne(r, () => begin(r), clock)));
  return runners.map((_, i) => {
    const stop = stopped[i]!;
    return stop.ok || stop.error?.code === "NOT_RUNNING" ? started[i]! : stop;
  });
}

/** Sends `signal` to each runner's main process (supervisorctl's `signal`). */
export function signalEach(runners: readonly ProcessRunner[], signal: Deno.Signal): ActionResult[] {
  return runners.map((r): ActionResult => {
    const failed = r.signalProcess(signal);
    return failed === null ? { name: r.name, ok: true } : failure(r.name, "NOT_RUNNING", failed);
  });
}

/**
 * Starts one runner through `begin` and waits until it is RUNNING or has
 * failed. A runner already WAITING or BLOCKED is waited for, not refused:
 * a `start` may just have started what it waits for.
 */
async function startOne(
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

/** Runs a stop's burst of stopsignals: ProcessOs.signalBurst, or at once. */
export type SignalBurst = ProcessOs["signalBurst"];

const atOnce: SignalBurst = (send) => send();

/** Stops wave by wave (see stopWaves), each wave in reverse priority. */
export async function stopInWaves(
  runners: readonly ProcessRunner[],
  waves: ReadonlyMap<string, number>,
  burst: SignalBurst = atOnce,
): Promise<ActionResult[]> {
  const order = [...new Set(runners.map((r) => waves.get(r.program) ?? 0))].sort((a, b) => a - b);
  const results = new Map<ProcessRunner, ActionResult>();
  for (const wave of order) {
    const batch = runners.filter((r) => (waves.get(r.program) ?? 0) === wave);
    const done = await stopInOrder(batch, burst);
    batch.forEach((r, i) => results.set(r, done[i]!));
  }
  return runners.map((r) => results.get(r)!);
}

/** Stops in reverse priority: each priority level is fully stopped before the next. */
export async function stopInOrder(
  runners: readonly ProcessRunner[],
  burst: SignalBurst = atOnce,
): Promise<ActionResult[]> {
  const levels = [...new Set(runners.map((r) => r.config.priority))].sort((a, b) => b - a);
  const results = new Map<ProcessRunner, ActionResult>();
  for (const level of levels) {
    const batch = runners.filter((r) => r.config.priority === level);
    // Every stopsignal first, then the state changes and logs of each.
    burst(() => {
      for (const runner of batch) runner.signalStopAhead();
    });
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
