/**
 * Event listener pools with supervisor's protocol: each listener process
 * says `READY\n` on stdout; taskmaster writes one event (envelope header and
 * payload) to its stdin and waits for `RESULT <len>\n<body>`; `OK` retires
 * the event, anything else (`FAIL`) or the listener's death puts it back at
 * the head of the pool's buffer, to be sent again. Events come from the
 * supervisor's state changes, a 1 s clock (TICK_5/60/3600, group
 * appearance), output (PROCESS_LOG_*), XML-RPC (REMOTE_COMMUNICATION) and
 * the daemon's own start and stop.
 *
 * @module
 */

import type { StateChange } from "../api/protocol.ts";
import { samePool, subscribes } from "../config/eventlisteners.ts";
import type { EventListenerConfig, ProgramConfig } from "../config/types.ts";
import type { OutputHub } from "../output/output_hub.ts";
import { ProcessRunner } from "../process/runner.ts";
import type { OutputRelay, RunnerDeps } from "../process/runner_deps.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";
import {
  envelope,
  groupEvent,
  logEvent,
  stateEvents,
  type SupervisorEvent,
  supervisorStateEvent,
  TICK_PERIODS,
  tickEvent,
  timeslice,
} from "./payloads.ts";

/** What the pools need from the daemon: a runner's ports, minus those they provide. */
export type ListenerDeps = Omit<RunnerDeps, "onChange" | "output"> & {
  readonly supervisor: Supervisor;
  readonly output: OutputHub;
};

interface Queued {
  readonly event: SupervisorEvent;
  readonly serial: number;
  readonly poolSerial: number;
}

type ListenerState = "ACKNOWLEDGED" | "READY" | "BUSY" | "UNKNOWN";

interface Listener {
  readonly runner: ProcessRunner;
  state: ListenerState;
  event: Queued | null;
  buffer: string;
  resultLen: number | null;
}

interface Pool {
  readonly name: string;
  readonly config: EventListenerConfig;
  readonly listeners: Listener[];
  readonly buffer: Queued[];
  serial: number;
}

const READY = "READY\n";
const encoder = new TextEncoder();

/** What a reload did to the pools, by name. */
export interface PoolChanges {
  readonly added: string[];
  readonly changed: string[];
  readonly removed: string[];
}

/** Runs every pool of a config and feeds them events. */
export class EventListeners {
  readonly #deps: ListenerDeps;
  #pools: Pool[] = [];
  /** start() was called and stop() not yet: new pools start at once. */
  #running = false;
  #serial = -1;
  #ticks = new Map<number, number>();
  #groups = new Set<string>();
  #lastPid = new Map<string, number>();
  #logSubscribed = new Set<string>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #unsubscribe: (() => void) | null = null;
  #outputUnsubscribes: (() => void)[] = [];

  constructor(pools: ReadonlyMap<string, EventListenerConfig>, deps: ListenerDeps) {
    this.#deps = deps;
    for (const [name, config] of pools) this.#pools.push(this.#newPool(name, config));
  }

  #newPool(name: string, config: EventListenerConfig): Pool {
    const pool: Pool = { name, config, listeners: [], buffer: [], serial: -1 };
    for (let i = 0; i < config.program.numprocs; i++) {
      pool.listeners.push({
        runner: this.#newRunner(config.program, i),
        state: "ACKNOWLEDGED",
        event: null,
        buffer: "",
        resultLen: null,
      });
    }
    return pool;
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
    const leaving: Pool[] = [];
    const kept: Pool[] = [];
    for (const pool of this.#pools) {
      const wanted = next.get(pool.name);
      if (wanted !== undefined && samePool(pool.config, wanted)) {
        kept.push(pool);
        continue;
      }
      leaving.push(pool);
      (wanted === undefined ? changes.removed : changes.changed).push(pool.name);
    }
    const arriving: Pool[] = [];
    for (const [name, config] of next) {
      if (kept.some((p) => p.name === name)) continue;
      if (!changes.changed.includes(name)) changes.added.push(name);
      arriving.push(this.#newPool(name, config));
    }
    if (leaving.length === 0 && arriving.length === 0) return changes;
    // Sources starting now must not announce every existing program as a new group.
    if (this.#timer === null) {
      this.#groups = new Set([
        ...kept.map((p) => p.name),
        ...this.#deps.supervisor.config.programs.keys(),
      ]);
    }
    await Promise.all(leaving.flatMap((p) => p.listeners.map((l) => this.#stopListener(l))));
    this.#pools = [...kept, ...arriving];
    this.#resubscribeOutput();
    if (!this.active) this.#stopSources();
    if (this.#running) {
      this.#startSources();
      for (const pool of arriving) this.#startPool(pool);
    }
    return changes;
  }

  /** The pools as supervisord process groups (for XML-RPC status and control). */
  groups(): { name: string; config: ProgramConfig; runners: ProcessRunner[] }[] {
    return this.#pools.map((p) => ({
      name: p.name,
      config: p.config.program,
      runners: p.listeners.map((l) => l.runner),
    }));
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
    for (const pool of this.#pools) this.#startPool(pool);
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

  #startPool(pool: Pool): void {
    if (!pool.config.program.autostart) return;
    for (const l of pool.listeners) l.runner.dispatch({ kind: "start" });
  }

  async #stopListener(l: Listener): Promise<void> {
    if (l.runner.dispatch({ kind: "stop" }).rejected === undefined) {
      await l.runner.waitFor((s) => s.state !== "STOPPING");
    }
    l.runner.dispose();
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
    let serial: number | null = null;
    for (const pool of this.#pools) {
      if (!pool.config.events.some((s) => subscribes(s, event.name))) continue;
      serial ??= ++this.#serial;
      const queued = { event, serial, poolSerial: ++pool.serial };
      if (pool.buffer.length >= pool.config.bufferSize) {
        const dropped = pool.buffer.shift()!;
        this.#deps.log(
          "error",
          `pool ${pool.name} event buffer overflowed, discarding event ${dropped.serial}`,
        );
      }
      pool.buffer.push(queued);
      this.#dispatch(pool);
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
    const pending = () =>
      this.#pools.some((p) =>
        p.listeners.some((l) => l.runner.state === "RUNNING") &&
        (p.buffer.length > 0 || p.listeners.some((l) => l.state === "BUSY"))
      );
    while (Date.now() < deadline && pending()) await new Promise((r) => setTimeout(r, 20));
    await Promise.all(this.#pools.flatMap((p) => p.listeners.map((l) => this.#stopListener(l))));
  }

  #newRunner(config: ProgramConfig, index: number): ProcessRunner {
    const relay: OutputRelay = {
      relay: (key, stream, target) => {
        if (key.endsWith(":stdout")) return this.#readProtocol(key.slice(0, -7), stream);
        return this.#deps.output.relay(key, stream, target);
      },
    };
    return new ProcessRunner(config, index, {
      ...this.#deps,
      output: relay,
      onChange: (change) => {
        this.#onStateChange(change, config);
        if (change.to === "RUNNING") {
          for (const pool of this.#pools) this.#dispatch(pool);
        }
      },
    });
  }

  #listener(runnerName: string): { pool: Pool; listener: Listener } | undefined {
    for (const pool of this.#pools) {
      const listener = pool.listeners.find((l) => l.runner.name === runnerName);
      if (listener !== undefined) return { pool, listener };
    }
    return undefined;
  }

  /** Reads one spawn's stdout as the protocol channel until it closes. */
  async #readProtocol(runnerName: string, stream: ReadableStream<Uint8Array>): Promise<void> {
    const found = this.#listener(runnerName);
    if (found === undefined) {
      await stream.cancel().catch(() => {});
      return;
    }
    const { pool, listener } = found;
    listener.state = "ACKNOWLEDGED";
    listener.buffer = "";
    listener.resultLen = null;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream) {
        listener.buffer += decoder.decode(chunk, { stream: true });
        this.#advance(pool, listener);
      }
    } catch {
      // The pipe broke with the process: handled as its end.
    }
    // The listener is gone: an event it held goes back to the head of the buffer.
    if (listener.event !== null) {
      pool.buffer.unshift(listener.event);
      listener.event = null;
    }
    listener.state = "ACKNOWLEDGED";
  }

  /** supervisor's PEventListenerDispatcher state machine over what was read. */
  #advance(pool: Pool, l: Listener): void {
    const name = l.runner.name;
    for (;;) {
      if (l.state === "UNKNOWN") {
        l.buffer = "";
        return;
      }
      if (l.state === "ACKNOWLEDGED") {
        if (l.buffer.length < READY.length) {
          if (!READY.startsWith(l.buffer)) this.#protocolError(l, `bad ready token`);
          return;
        }
        if (!l.buffer.startsWith(READY)) {
          this.#protocolError(l, "bad ready token");
          return;
        }
        l.buffer = l.buffer.slice(READY.length);
        l.state = "READY";
        this.#dispatch(pool);
        continue;
      }
      if (l.state === "READY") {
        if (l.buffer.length > 0) this.#protocolError(l, "data sent while not busy");
        return;
      }
      // BUSY: `RESULT <len>\n` then <len> characters.
      if (l.resultLen === null) {
        const nl = l.buffer.indexOf("\n");
        if (nl < 0) return;
        const line = l.buffer.slice(0, nl);
        l.buffer = l.buffer.slice(nl + 1);
        const len = /^RESULT (\d+)$/.exec(line);
        if (len === null) {
          this.#deps.log("warning", `${name}: bad result line: '${line}'`);
          this.#reject(pool, l);
          l.state = "UNKNOWN";
          continue;
        }
        l.resultLen = Number(len[1]);
      }
      if (l.buffer.length < l.resultLen) return;
      const result = l.buffer.slice(0, l.resultLen);
      l.buffer = l.buffer.slice(l.resultLen);
      l.resultLen = null;
      if (result === "OK") {
        l.event = null;
      } else {
        this.#deps.log("warning", `${name}: event was rejected`);
        this.#reject(pool, l);
      }
      l.state = "ACKNOWLEDGED";
    }
  }

  #protocolError(l: Listener, why: string): void {
    this.#deps.log("warning", `${l.runner.name}: ${why}; listener is in UNKNOWN state`);
    l.state = "UNKNOWN";
    l.buffer = "";
  }

  #reject(pool: Pool, l: Listener): void {
    if (l.event !== null) pool.buffer.unshift(l.event);
    l.event = null;
  }

  /** Sends the oldest events to READY listeners of a RUNNING process. */
  #dispatch(pool: Pool): void {
    while (pool.buffer.length > 0) {
      const l = pool.listeners.find((x) => x.state === "READY" && x.runner.state === "RUNNING");
      if (l === undefined) return;
      const queued = pool.buffer.shift()!;
      l.state = "BUSY";
      l.event = queued;
      const text = envelope(queued.event, queued.serial, pool.name, queued.poolSerial);
      l.runner.writeStdin(encoder.encode(text)).then((written) => {
        if (!written) this.#reject(pool, l);
      }, () => this.#reject(pool, l));
    }
  }

  #onStateChange(change: StateChange, listenerConfig?: ProgramConfig): void {
    const runner = listenerConfig === undefined
      ? this.#deps.supervisor.resolve([change.name]).find((r) => r.name === change.name)
      : this.#pools.flatMap((p) => p.listeners).find((l) => l.runner.name === change.name)
        ?.runner;
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
    const wanted = (channel: string) =>
      this.#pools.some((p) => p.config.events.some((s) => subscribes(s, `PROCESS_LOG_${channel}`)));
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
    const now = this.#deps.clock.now() / 1000;
    for (const period of TICK_PERIODS) {
      const slice = timeslice(period, now);
      const last = this.#ticks.get(period);
      this.#ticks.set(period, slice);
      if (last !== undefined && last !== slice) this.emit(tickEvent(period, slice));
    }
    this.#checkGroups();
    for (const pool of this.#pools) this.#dispatch(pool);
  }

  /** PROCESS_GROUP_ADDED / _REMOVED as programs (and pools) come and go. */
  #checkGroups(): void {
    const now = new Set([
      ...this.#pools.map((p) => p.name),
      ...this.#deps.supervisor.config.programs.keys(),
    ]);
    for (const name of now) if (!this.#groups.has(name)) this.emit(groupEvent("ADDED", name));
    for (const name of this.#groups) if (!now.has(name)) this.emit(groupEvent("REMOVED", name));
    this.#groups = now;
  }
}
