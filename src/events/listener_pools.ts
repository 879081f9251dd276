/**
 * The daemon's event listener pools (supervisord's `[eventlistener:x]`):
 * which pools run, and the events they are fed. Events come from the
 * supervisor's state changes, a 1 s clock (TICK_5/60/3600, group
 * appearance), output (PROCESS_LOG_*), XML-RPC (REMOTE_COMMUNICATION) and
 * the daemon's own start and stop. Each event gets one serial and goes to
 * every pool subscribed to its type; listener_pool.ts speaks the protocol
 * with the listeners.
 *
 * @module
 */

import type { StateChange } from "../api/protocol.ts";
import { samePool } from "../config/eventlisteners.ts";
import type { EventListenerConfig, ProgramConfig } from "../config/types.ts";
import type { OutputHub } from "../output/output_hub.ts";
import { byteSourceStream } from "../output/byte_source.ts";
import { ProcessRunner } from "../process/runner.ts";
import type { EventLogger, OutputRelay, RunnerPorts } from "../process/runner_deps.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";
import { ListenerPool } from "./listener_pool.ts";
import { logEvent, stateEvents, type SupervisorEvent, supervisorStateEvent } from "./payloads.ts";
import { PeriodicEvents } from "./periodic_events.ts";

/** What the pools need from the daemon: a runner's ports, minus those they provide. */
export type ListenerDeps = Omit<RunnerPorts, "output"> & {
  readonly log: EventLogger;
  readonly supervisor: Supervisor;
  readonly output: OutputHub;
};

/** What a reload did to the pools, by name. */
export interface PoolChanges {
  readonly added: string[];
  readonly changed: string[];
  readonly removed: string[];
}

/** Runs every pool of a config and feeds them events. */
export class EventListeners {
  readonly #deps: ListenerDeps;
  #pools: ListenerPool[] = [];
  /** start() was called and stop() not yet: new pools start at once. */
  #running = false;
  #serial = -1;
  readonly #periodic = new PeriodicEvents();
  #lastPid = new Map<string, number>();
  #logSubscribed = new Set<string>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #unsubscribe: (() => void) | null = null;
  #outputUnsubscribes: (() => void)[] = [];

  constructor(pools: ReadonlyMap<string, EventListenerConfig>, deps: ListenerDeps) {
    this.#deps = deps;
    for (const [name, config] of pools) this.#pools.push(this.#newPool(name, config));
  }

  #newPool(name: string, config: EventListenerConfig): ListenerPool {
    return new ListenerPool(
      name,
      config,
      (program, index) => this.#newRunner(program, index),
      this.#deps.log,
    );
  }

  /** The pools' configs by name, as running now. */
  configs(): ReadonlyMap<string, EventListenerConfig> {
    return new Map(this.#pools.map((p) => [p.name, p.config]));
  }

  /**
   * Makes the pools those of `next`: removed pools stop (their buffered events are
   * dropped, as supervisord drops a removed group's), changed ones stop and start again
   * with the new config, added ones start; untouched pools keep running and buffering.
   */
  async reconfigure(next: ReadonlyMap<string, EventListenerConfig>): Promise<PoolChanges> {
    const changes: PoolChanges = { added: [], changed: [], removed: [] };
    const leaving: ListenerPool[] = [];
    const kept: ListenerPool[] = [];
    for (const pool of this.#pools) {
      const wanted = next.get(pool.name);
      if (wanted !== undefined && samePool(pool.config, wanted)) {
        kept.push(pool);
        continue;
      }
      leaving.push(pool);
      (wanted === undefined ? changes.removed : changes.changed).push(pool.name);
    }
    const arriving: ListenerPool[] = [];
    for (const [name, config] of next) {
      if (kept.some((p) => p.name === name)) continue;
      if (!changes.changed.includes(name)) changes.added.push(name);
      arriving.push(this.#newPool(name, config));
    }
    if (leaving.length === 0 && arriving.length === 0) return changes;
    // Sources starting now must not announce every existing program as a new group.
    if (this.#timer === null) {
      this.#periodic.knowGroups([
        ...kept.map((p) => p.name),
        ...this.#deps.supervisor.config.programs.keys(),
      ]);
    }
    await Promise.all(leaving.map((p) => p.stop()));
    this.#pools = [...kept, ...arriving];
    this.#resubscribeOutput();
    if (!this.active) this.#stopSources();
    if (this.#running) {
      this.#startSources();
      for (const pool of arriving) pool.start();
    }
    return changes;
  }

  /** The pools as supervisord process groups (for XML-RPC status and control). */
  groups(): { name: string; config: ProgramConfig; runners: ProcessRunner[] }[] {
    return this.#pools.map((p) => ({ name: p.name, config: p.config.program, runners: p.runners }));
  }

  /** Whether any pool exists (nothing runs otherwise). */
  get active(): boolean {
    return this.#pools.length > 0;
  }

  /** Starts the listeners and the event sources; emits the startup events. */
  start(): void {
    this.#running = true;
    if (!this.active) return;
    // supervisord's order: the groups appear, the daemon is RUNNING, then processes start.
    this.#checkGroups();
    this.emit(supervisorStateEvent("RUNNING"));
    this.#startSources();
    for (const pool of this.#pools) pool.start();
  }

  /** State changes and the 1 s clock feed the pools (once, and only while some pool exists). */
  #startSources(): void {
    if (this.#timer !== null || !this.active) return;
    this.#unsubscribe = this.#deps.supervisor.onChange((change) => this.#onStateChange(change));
    this.#timer = setInterval(() => this.#everySecond(), 1000);
  }

  #stopSources(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  /** Output subscriptions follow the pools: a pool added by a reload may want PROCESS_LOG. */
  #resubscribeOutput(): void {
    for (const off of this.#outputUnsubscribes) off();
    this.#outputUnsubscribes = [];
    this.#logSubscribed.clear();
    for (const runner of this.#deps.supervisor.instances()) {
      this.#subscribeOutput(runner, runner.config);
    }
  }

  /** Offers an event to every pool subscribed to its type. */
  emit(event: SupervisorEvent): void {
    // One serial per event, taken only when some pool wants it (supervisord's serial).
    let serial: number | null = null;
    for (const pool of this.#pools) {
      if (!pool.wants(event.name)) continue;
      serial ??= ++this.#serial;
      pool.offer(event, serial);
    }
  }

  /** SUPERVISOR_STATE_CHANGE_STOPPING, a moment for it to be read, then the listeners stop. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#stopSources();
    for (const off of this.#outputUnsubscribes) off();
    if (!this.active) return;
    // Listeners stop last (supervisord: priority -1): they see everything before.
    // Until every buffered event has been answered (at most 2 s).
    const deadline = Date.now() + 2000;
    const pending = () => this.#pools.some((p) => p.pending);
    while (Date.now() < deadline && pending()) await new Promise((r) => setTimeout(r, 20));
    await Promise.all(this.#pools.map((p) => p.stop()));
  }

  /** A listener's runner: its stdout is the protocol channel, not a log. */
  #newRunner(config: ProgramConfig, index: number): ProcessRunner {
    const relay: OutputRelay = {
      relay: (key, stream, target) => {
        if (key.endsWith(":stdout")) {
          const protocol = stream instanceof ReadableStream ? stream : byteSourceStream(stream);
          return this.#readProtocol(key.slice(0, -7), protocol);
        }
        return this.#deps.output.relay(key, stream, target);
      },
    };
    return new ProcessRunner(config, index, {
      ...this.#deps,
      output: relay,
      onChange: (change) => {
        this.#onStateChange(change, config);
        if (change.to === "RUNNING") {
          for (const pool of this.#pools) pool.dispatch();
        }
      },
    });
  }

  async #readProtocol(runnerName: string, stream: ReadableStream<Uint8Array>): Promise<void> {
    const pool = this.#pools.find((p) => p.owns(runnerName));
    if (pool === undefined) {
      await stream.cancel().catch(() => {});
      return;
    }
    await pool.readProtocol(runnerName, stream);
  }

  #onStateChange(change: StateChange, listenerConfig?: ProgramConfig): void {
    const runner = listenerConfig === undefined
      ? this.#deps.supervisor.resolve([change.name]).find((r) => r.name === change.name)
      : this.#pools.flatMap((p) => p.runners).find((r) => r.name === change.name);
    const config = runner?.config ?? listenerConfig;
    if (runner === undefined || config === undefined) return;
    const snap = runner.snapshot;
    const events = stateEvents({
      processName: config.numprocs === 1 ? change.program : String(runner.index),
      group: change.program,
      from: change.from,
      to: change.to,
      tries: snap.backoff,
      expected: snap.expected ?? false,
      pid: change.pid,
      lastPid: this.#lastPid.get(change.name) ?? null,
      startretries: config.startretries,
    });
    if (change.pid !== null) this.#lastPid.set(change.name, change.pid);
    for (const event of events) this.emit(event);
    if (listenerConfig === undefined) this.#subscribeOutput(runner, config);
  }

  /**
   * PROCESS_LOG_* for a program's output, when some pool wants them and the program
   * enables them (`stdout_events_enabled`, read at each chunk so a reload applies live).
   */
  #subscribeOutput(runner: ProcessRunner, config: ProgramConfig): void {
    if (this.#logSubscribed.has(runner.name)) return;
    const wanted = (channel: string) => this.#pools.some((p) => p.wants(`PROCESS_LOG_${channel}`));
    this.#logSubscribed.add(runner.name);
    const decoder = new TextDecoder();
    for (const channel of ["stdout", "stderr"] as const) {
      if (!wanted(channel.toUpperCase())) continue;
      this.#outputUnsubscribes.push(
        this.#deps.output.subscribe(`${runner.name}:${channel}`, (chunk) => {
          const enabled = channel === "stdout"
            ? runner.config.stdoutEvents
            : runner.config.stderrEvents;
          if (!enabled) return;
          this.emit(logEvent(
            channel,
            config.numprocs === 1 ? runner.program : String(runner.index),
            runner.program,
            runner.snapshot.pid ?? 0,
            decoder.decode(chunk),
          ));
        }),
      );
    }
  }

  #everySecond(): void {
    for (const event of this.#periodic.ticks(this.#deps.clock.now() / 1000)) this.emit(event);
    this.#checkGroups();
    for (const pool of this.#pools) pool.dispatch();
  }

  /** PROCESS_GROUP_ADDED / _REMOVED as programs (and pools) come and go. */
  #checkGroups(): void {
    const now = new Set([
      ...this.#pools.map((p) => p.name),
      ...this.#deps.supervisor.config.programs.keys(),
    ]);
    for (const event of this.#periodic.groupChanges(now)) this.emit(event);
  }
}
