/**
 * The one child process an instance has at a time: its spawn (cgroup,
 * SUPERVISOR_* environment, one pipe for combined output), its stdin, the
 * relays of its output, and its exit, reported with what the state machine
 * needs to know (is anything of its group left?). Also the counts status
 * shows (restarts, expected and unexpected exits).
 *
 * Why apart from the runner: the runner decides when to spawn (its
 * transition says so); this is how, and what is held while a child lives.
 * It decides nothing about states.
 *
 * @module
 */

import { discardedStreams } from "../config/discarded_streams.ts";
import type { ProgramConfig } from "../config/types.ts";
import type { Leftovers } from "./leftovers.ts";
import { isCombined, type LiveChild, type RunnerPorts } from "./runner_deps.ts";
import { accountEnv, supervisorEnv } from "./spawn_spec.ts";
import type { ChildEndListener, ExitStatus, SpawnedChild, SpawnSpec } from "./spawner.ts";

/** How a child ended; `groupAlive`: members of its group or cgroup outlived it during a stop. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: string | null;
  readonly groupAlive: boolean;
}

/** What the instance is told about the children it asked for. */
export interface ChildHooks {
  /** Whether the instance is STOPPING when the child exits (only a stop waits for its group). */
  childStopping(): boolean;
  /** Child `pid`, spawned in the instance's run `generation`, exited. */
  childExited(exit: ChildExit, pid: number, generation: number): void;
  /** Logs a line about the instance. */
  log(level: "info" | "warning" | "error", message: string): void;
}

/**
 * An instance's live child, and its history in counts. It is told of its
 * child's end as a listener: a new child is spawned only once the last one's
 * end was reported, so the spawn's config and run are kept here, not in a
 * closure per child.
 */
export class InstanceChild implements ChildEndListener {
  readonly #deps: RunnerPorts;
  readonly #leftovers: Leftovers;
  readonly #hooks: ChildHooks;
  #child: SpawnedChild | null = null;
  #stdin: WritableStreamDefaultWriter<Uint8Array> | null = null;
  #live: LiveChild | null = null;
  /** The config and run the live child was spawned with. */
  #spawnedWith: ProgramConfig | null = null;
  #generation = 0;
  #spawns = 0;
  #expectedExits = 0;
  #unexpectedExits = 0;

  constructor(deps: RunnerPorts, leftovers: Leftovers, hooks: ChildHooks) {
    this.#deps = deps;
    this.#leftovers = leftovers;
    this.#hooks = hooks;
  }

  /**
   * Spawns instance `name` (number `index`) of `cfg` from `spec`, for the
   * instance's run `generation`. Returns its pid, or why it could not be
   * spawned; `childExited` follows, once, after the pid is returned.
   */
  spawn(
    cfg: ProgramConfig,
    instance: { name: string; index: number },
    spec: SpawnSpec,
    generation: number,
  ): { ok: true; pid: number } | { ok: false; reason: string } {
    const { name, index } = instance;
    const deps = this.#deps;
    const targets = deps.targets(cfg, name);
    this.#spawns++;
    const cgroups = deps.cgroups ?? null;
    const cgroup = cgroups?.prepare(cfg.name, name, this.#leftovers.cgroup) ?? null;
    if (cgroups !== null && cgroup === null) {
      this.#hooks.log("warning", `couldn't create a cgroup for '${name}': process group only`);
    }
    const result = deps.spawner.spawn({
      ...spec,
      directOutput: true,
      cgroup,
      env: { ...supervisorEnv(deps.serverUrl, cfg.name, index, cfg.numprocs), ...accountEnv(cfg) },
      name,
      combineOutput: isCombined(targets),
      discard: discardedStreams(cfg),
    });
    if (!result.ok) {
      // prepare() made it; nothing entered it (unless survivors of an earlier run, kept).
      if (cgroups !== null && cgroup !== null && !cgroups.populated(cgroup)) {
        cgroups.release(cgroup);
      }
      return result;
    }
    const child = result.child;
    this.#child = child;
    this.#spawnedWith = cfg;
    this.#generation = generation;
    if (cgroup !== null) this.#leftovers.adopt(cgroup);
    this.#live = { pid: child.pid, startTime: child.startTime ?? null, cgroup };
    deps.liveChanged?.("spawned");
    // Relays never reject; the output hub drains them at shutdown. Combined
    // output is one stream, relayed (and followed) under the stdout key.
    // A stream the child writes to /dev/null itself has no source.
    const { stdout, stderr } = child.output ?? child;
    if (stdout !== null) deps.output.relay(`${name}:stdout`, stdout, targets.stdout);
    if (stderr !== null) deps.output.relay(`${name}:stderr`, stderr, targets.stderr);
    child.onEnd(this);
    return { ok: true, pid: child.pid };
  }

  childEnded(child: SpawnedChild, status: ExitStatus): void {
    this.#reportEnd(child, status).catch((error) =>
      this.#hooks.log("error", `the end of pid ${child.pid} was not handled: ${error}`)
    );
  }

  async #reportEnd(child: SpawnedChild, status: ExitStatus): Promise<void> {
    const cfg = this.#spawnedWith!;
    const generation = this.#generation;
    // Not kept past its child: a reload's old config can go.
    this.#spawnedWith = null;
    const expected = status.code !== null && status.signal === null &&
      cfg.exitcodes.includes(status.code);
    if (expected) this.#expectedExits++;
    else this.#unexpectedExits++;
    if (this.#child === child) {
      this.#child = null;
      // A pipe never written is the spawner's to close (spawner.ts).
      this.#stdin?.close().catch(() => {});
      this.#stdin = null;
    }
    if (this.#live?.pid === child.pid) this.#live = null;
    const deps = this.#deps;
    deps.liveChanged?.("exited");
    // Only a stop waits for the rest of the group (and cgroup); other exits
    // move on at once, remembering a group that outlived its leader for shutdown.
    const stopping = this.#hooks.childStopping();
    if (!stopping) this.#leftovers.noteExit(child.pid);
    const rest = stopping &&
      (await deps.groupAlive(child.pid) || this.#leftovers.populated());
    this.#hooks.childExited(
      { code: status.code, signal: status.signal, groupAlive: rest },
      child.pid,
      generation,
    );
  }

  /**
   * numprocs went from 1 to several or back (`web` ↔ `web:0`): the live
   * child's output follows the new name at once, default log file included.
   */
  rename(cfg: ProgramConfig, before: string, after: string): void {
    const targets = this.#deps.targets(cfg, after);
    for (const stream of ["stdout", "stderr"] as const) {
      this.#deps.output.retarget?.(`${before}:${stream}`, `${after}:${stream}`, targets[stream])
        .catch((e) => this.#hooks.log("error", `cannot move ${before}'s ${stream}: ${e}`));
    }
  }

  /** Writes to the live child's stdin; false when there is no live child. */
  async writeStdin(data: Uint8Array): Promise<boolean> {
    const child = this.#child;
    if (child === null) return false;
    if (this.#stdin === null) {
      // Taken on the first write: most instances are never written to.
      this.#stdin = child.stdin.getWriter();
      // The child may never read its stdin; a write to it must not hang us.
      this.#stdin.closed.catch(() => {});
    }
    await this.#stdin.write(data);
    return true;
  }

  /** The live child, for the state file; null when there is none. */
  get live(): LiveChild | null {
    return this.#live;
  }

  /** Restarts (spawns after the first) and exits since taskmaster started. */
  get counters(): { restarts: number; exits: { expected: number; unexpected: number } } {
    return {
      restarts: Math.max(0, this.#spawns - 1),
      exits: { expected: this.#expectedExits, unexpected: this.#unexpectedExits },
    };
  }
}
