/**
 * Turns the effects of a transition into calls on the runner's ports, and
 * the outcomes of those calls (a spawn, an exit, a timer, an emptied group)
 * back into events, which it hands to the runner's queue: it never feeds
 * the state machine itself, so a transition never re-enters itself.
 *
 * Why apart from the runner: the runner owns the snapshot, its queue and
 * who is told of changes; this owns what lives beside a running child
 * (timers, the group watch, the child, its leftovers, its signaller).
 *
 * @module
 */

import type { ProgramConfig } from "../config/types.ts";
import { GroupSignaller } from "./group_signaller.ts";
import { watchGroup } from "./group_watch.ts";
import { type ChildExit, type ChildHooks, InstanceChild } from "./instance_child.ts";
import { Leftovers } from "./leftovers.ts";
import type { RunnerPorts } from "./runner_deps.ts";
import type { ProcessEffect, ProcessEvent, ProcessSnapshot, TimerName } from "./snapshot.ts";
import type { ExitStatus, SpawnSpec } from "./spawner.ts";
import type { Pacer } from "../util/turn_pacer.ts";

/** The instance the effects are for, as it is at the moment each runs. */
export interface EffectHost {
  readonly name: string;
  readonly index: number;
  readonly config: ProgramConfig;
  readonly snapshot: ProcessSnapshot;
  spawnSpec(): SpawnSpec;
  /** Whether this exit of the live child would spawn the next one at once, were it reported now. */
  respawnsOnExit(exit: { code: number | null; signal: string | null; generation: number }): boolean;
  /** Takes the event an effect's outcome makes, after the one being handled. */
  enqueue(event: ProcessEvent): void;
  /** Logs a line about this instance. */
  log(level: "info" | "warning" | "error", message: string): void;
}

/**
 * Executes one instance's effects. It is also its child's hooks: an object
 * already there, not two closures and their scope per spawn.
 */
export class EffectExecutor implements ChildHooks {
  readonly child: InstanceChild;
  readonly leftovers: Leftovers;
  readonly #host: EffectHost;
  readonly #deps: RunnerPorts;
  readonly #signaller: GroupSignaller;
  /** Each timer's cancel; an object of four fields, not a Map (~150 B per instance). */
  #timers: Record<TimerName, (() => void) | null> = {
    started: null,
    retry: null,
    kill: null,
    restart: null,
  };
  /** Cancels the poll of a stopping group whose leader died; null when none runs. */
  #groupWatch: (() => void) | null = null;
  /**
   * A leader reaped with no group left behind, whose crash waits for the
   * pacer: its pid may be reused meanwhile, so that group gets no signal.
   */
  #reapedAlone: number | null = null;
  readonly #pacer: Pacer;

  constructor(host: EffectHost, deps: RunnerPorts) {
    this.#host = host;
    this.#deps = deps;
    this.leftovers = new Leftovers(deps.cgroups, deps.os);
    this.child = new InstanceChild(deps, this.leftovers, this);
    this.#signaller = new GroupSignaller(deps.os, deps.cgroups, deps.clock);
    this.#pacer = deps.pacer ?? NO_PACER;
  }

  execute(effect: ProcessEffect): void {
    const host = this.#host;
    switch (effect.kind) {
      case "spawn":
        return this.#spawn();
      case "signalGroup": {
        const failure = this.#signaller.send(
          { name: host.name, pgid: this.#livePgid(), cgroup: this.leftovers.cgroup },
          effect.signal,
          host.config.stopsignal,
        );
        if (failure !== null) host.log("error", failure);
        return;
      }
      case "schedule": {
        this.#timers[effect.timer]?.();
        // A timer of an earlier run is ignored by the transition.
        const generation = host.snapshot.generation;
        const cancel = this.#deps.clock.schedule(effect.at, () => {
          this.#timers[effect.timer] = null;
          const fire = () => host.enqueue({ kind: "timer", timer: effect.timer, generation });
          // Only the timers that spawn wait for the pacer: starttime's and stoptime's act at once.
          if (effect.timer === "retry" || effect.timer === "restart") this.#pacer.run(fire);
          else fire();
        });
        this.#timers[effect.timer] = cancel;
        return;
      }
      case "cancel":
        this.#timers[effect.timer]?.();
        this.#timers[effect.timer] = null;
        return;
      case "watchGroup":
        return this.#watchGroup();
      case "log":
        return host.log(effect.level, effect.message);
    }
  }

  #spawn(): void {
    const host = this.#host;
    this.#reapedAlone = null;
    let result: ReturnType<InstanceChild["spawn"]>;
    try {
      result = this.child.spawn(host.config, host, host.spawnSpec(), host.snapshot.generation);
    } catch (error) {
      // A defect of ours, not the program's: reported as a failed start, so the
      // instance backs off and can be stopped. Left STARTING with no pid, a stop
      // (and the shutdown) waited for it forever.
      const message = error instanceof Error ? error.message : String(error);
      host.log(
        "error",
        `internal error (taskmaster keeps running): spawning ${host.name}: ${message}`,
      );
      result = { ok: false, reason: `internal error while spawning: ${message}` };
    }
    host.enqueue(
      result.ok
        ? { kind: "spawned", pid: result.pid }
        : { kind: "spawnFailed", reason: result.reason },
    );
  }

  log(level: "info" | "warning" | "error", message: string): void {
    this.#host.log(level, message);
  }

  childStopping(): boolean {
    return this.#host.snapshot.state === "STOPPING";
  }

  childReaped(status: ExitStatus, generation: number): void {
    const host = this.#host;
    if (!host.respawnsOnExit({ ...status, generation })) return;
    // Not while crashes wait for their turn: this one waits behind them too.
    this.#pacer.runIfIdle?.(() => this.child.prespawn(host.config, host, host.spawnSpec()));
  }

  childExited(exit: ChildExit, pid: number, generation: number): void {
    const host = this.#host;
    const handle = () => {
      // A child started ahead (childReaped) is taken by the spawn this exit
      // leads to; if it leads to none, it goes before the transition looks.
      if (!host.respawnsOnExit({ ...exit, generation })) this.child.discardPrespawned("no restart");
      try {
        host.enqueue({ kind: "exited", generation, ...exit });
      } finally {
        this.child.discardPrespawned("no restart");
      }
    };
    // The end of a stop spawns nothing, and a client is waiting for it.
    if (host.snapshot.state === "STOPPING") {
      // Only a stop owes the members a stopsignal, and only its exit report
      // looked at the group and cgroup (exit.groupAlive is false otherwise).
      this.#signaller.leaderReaped(pid, exit.groupAlive);
      return handle();
    }
    // instance_child noted whether the group outlived its leader (no second probe).
    const outlived = this.leftovers.outlived(pid);
    if (!outlived) this.#reapedAlone = pid;
    const crash = () => {
      // A stop came while this crash waited for its turn: like any stop whose
      // leader dies first, it lasts until what the leader left (its group,
      // or its cgroup) is gone, and stoptime's SIGKILL reaches what ignores
      // the stopsignal.
      const snap = host.snapshot;
      const stopping = snap.state === "STOPPING" && snap.generation === generation;
      if (stopping) this.child.discardPrespawned("a stop came first");
      if (stopping && (outlived || this.leftovers.populated())) {
        host.enqueue({ kind: "exited", generation, ...exit, groupAlive: true });
      } else handle();
    };
    // The pacer let the next child start already (childReaped): taking it is
    // cheap, and a turn's end would leave it running unread and unrecorded.
    if (this.child.prespawned) crash();
    else this.#pacer.run(crash);
  }

  /**
   * Sends the stopsignal to the live process group now, ahead of the `stop`
   * event that follows at once, which then does not send it again.
   */
  signalStopAhead(): void {
    // Killed by this signal, the child must not be restarted by the native code.
    this.child.disarmRestart("a stop came first");
    const { state, pid } = this.#host.snapshot;
    const pgid = this.#livePgid();
    if ((state !== "RUNNING" && state !== "STARTING") || pid === null || pgid === null) return;
    // A leader already reaped, its exit waiting for the pacer: that exit,
    // reported outside a stop, never looked at the group or cgroup, so it
    // could not settle a debt. The stop event signals both itself instead.
    if (this.child.live === null) return;
    this.#signaller.ahead(pgid, this.#host.config.stopsignal);
  }

  /** The group a signal may go to: none once its leader was reaped alone. */
  #livePgid(): number | null {
    const pgid = this.#host.snapshot.pgid;
    return pgid === this.#reapedAlone ? null : pgid;
  }

  // The leader died during a stop but its group (or cgroup) lives on: the
  // stop is over only once they are empty (group_watch.ts).
  #watchGroup(): void {
    if (this.#groupWatch !== null) return;
    const host = this.#host;
    const pgid = host.snapshot.pgid;
    const generation = host.snapshot.generation;
    if (pgid === null) return;
    this.#groupWatch = watchGroup(this.#deps.clock, {
      // Null once the leader was reaped alone: its pid may be another's by now.
      alive: async () => {
        const live = this.#livePgid();
        return (live !== null && await this.#deps.groupAlive(live)) || this.leftovers.populated();
      },
      wanted: () => host.snapshot.state === "STOPPING" && host.snapshot.generation === generation,
      ended: (gone) => {
        this.#groupWatch = null;
        if (gone) host.enqueue({ kind: "groupGone", generation });
      },
    });
  }

  /** Cancels every timer and the group watch (the instance is forgotten). */
  dispose(): void {
    this.child.forgetRestart("the instance is gone");
    this.child.discardPrespawned("the instance is gone");
    for (const name of Object.keys(this.#timers) as TimerName[]) {
      this.#timers[name]?.();
      this.#timers[name] = null;
    }
    this.#groupWatch?.();
    this.#groupWatch = null;
    this.#signaller.forgetOwed();
  }
}

/** Without a pacer, everything is handled at once. */
const NO_PACER: Pacer = {
  run: (job) => job(),
  runIfIdle: (job) => {
    job();
    return true;
  },
};
