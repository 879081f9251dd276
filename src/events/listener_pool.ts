/**
 * One event listener pool and supervisor's listener protocol
 * (PEventListenerDispatcher): each listener process says `READY\n` on
 * stdout; the pool writes one event (envelope header and payload) to its
 * stdin and waits for `RESULT <len>\n<body>`. `OK` retires the event;
 * anything else (`FAIL`), a write that fails or the listener's death puts
 * it back at the head of the pool's buffer, to be sent again. A listener
 * that breaks the protocol goes UNKNOWN and gets nothing more until it
 * restarts.
 *
 * @module
 */

import { subscribes } from "../config/eventlisteners.ts";
import type { EventListenerConfig, ProgramConfig } from "../config/types.ts";
import type { ProcessRunner } from "../process/runner.ts";
import type { EventLogger } from "../process/runner_deps.ts";
import { envelope, type SupervisorEvent } from "./payloads.ts";

/** An event waiting in a pool: its global serial and its serial in this pool. */
interface Queued {
  readonly event: SupervisorEvent;
  readonly serial: number;
  readonly poolSerial: number;
}

/** supervisor's listener states: ACKNOWLEDGED waits for READY, BUSY for a RESULT. */
type ListenerState = "ACKNOWLEDGED" | "READY" | "BUSY" | "UNKNOWN";

interface Listener {
  readonly runner: ProcessRunner;
  state: ListenerState;
  /** The event it was sent and has not answered. */
  event: Queued | null;
  /** What it wrote on stdout and was not consumed yet. */
  buffer: string;
  /** The body length announced by `RESULT <len>`, while the body is awaited. */
  resultLen: number | null;
}

const READY = "READY\n";
const encoder = new TextEncoder();

/** A pool's listeners and its buffer of events not yet answered with OK. */
export class ListenerPool {
  readonly name: string;
  readonly config: EventListenerConfig;
  readonly #listeners: Listener[] = [];
  readonly #buffer: Queued[] = [];
  #serial = -1;
  readonly #log: EventLogger;

  constructor(
    name: string,
    config: EventListenerConfig,
    newRunner: (config: ProgramConfig, index: number) => ProcessRunner,
    log: EventLogger,
  ) {
    this.name = name;
    this.config = config;
    this.#log = log;
    for (let i = 0; i < config.program.numprocs; i++) {
      this.#listeners.push({
        runner: newRunner(config.program, i),
        state: "ACKNOWLEDGED",
        event: null,
        buffer: "",
        resultLen: null,
      });
    }
  }

  /** The listener processes, in index order. */
  get runners(): ProcessRunner[] {
    return this.#listeners.map((l) => l.runner);
  }

  /** Whether the pool subscribes to events named `eventName`. */
  wants(eventName: string): boolean {
    return this.config.events.some((s) => subscribes(s, eventName));
  }

  /** Buffers an event (dropping the oldest when full, as supervisord does) and sends what it can. */
  offer(event: SupervisorEvent, serial: number): void {
    const queued = { event, serial, poolSerial: ++this.#serial };
    if (this.#buffer.length >= this.config.bufferSize) {
      const dropped = this.#buffer.shift()!;
      this.#log(
        "error",
        `pool ${this.name} event buffer overflowed, discarding event ${dropped.serial}`,
      );
    }
    this.#buffer.push(queued);
    this.dispatch();
  }

  /** Whether a running listener still has events to answer (the daemon waits at stop). */
  get pending(): boolean {
    return this.#listeners.some((l) => l.runner.state === "RUNNING") &&
      (this.#buffer.length > 0 || this.#listeners.some((l) => l.state === "BUSY"));
  }

  /** Starts the listeners, if the pool autostarts. */
  start(): void {
    if (!this.config.program.autostart) return;
    for (const l of this.#listeners) l.runner.dispatch({ kind: "start" });
  }

  /** Stops every listener and disposes of its runner. */
  async stop(): Promise<void> {
    await Promise.all(this.#listeners.map(async (l) => {
      if (l.runner.dispatch({ kind: "stop" }).rejected === undefined) {
        await l.runner.waitFor((s) => s.state !== "STOPPING");
      }
      l.runner.dispose();
    }));
  }

  /** Whether `runnerName` is one of this pool's listeners. */
  owns(runnerName: string): boolean {
    return this.#listeners.some((l) => l.runner.name === runnerName);
  }

  /** Reads one spawn's stdout as the protocol channel until it closes. */
  async readProtocol(runnerName: string, stream: ReadableStream<Uint8Array>): Promise<void> {
    const listener = this.#listeners.find((l) => l.runner.name === runnerName);
    if (listener === undefined) {
      await stream.cancel().catch(() => {});
      return;
    }
    listener.state = "ACKNOWLEDGED";
    listener.buffer = "";
    listener.resultLen = null;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream) {
        listener.buffer += decoder.decode(chunk, { stream: true });
        this.#advance(listener);
      }
    } catch {
      // The pipe broke with the process: handled as its end.
    }
    // The listener is gone: an event it held goes back to the head of the buffer.
    if (listener.event !== null) {
      this.#buffer.unshift(listener.event);
      listener.event = null;
    }
    listener.state = "ACKNOWLEDGED";
  }

  /** Sends the oldest events to READY listeners of a RUNNING process. */
  dispatch(): void {
    while (this.#buffer.length > 0) {
      const l = this.#listeners.find((x) => x.state === "READY" && x.runner.state === "RUNNING");
      if (l === undefined) return;
      const queued = this.#buffer.shift()!;
      l.state = "BUSY";
      l.event = queued;
      const text = envelope(queued.event, queued.serial, this.name, queued.poolSerial);
      l.runner.writeStdin(encoder.encode(text)).then((written) => {
        if (!written) this.#reject(l);
      }, () => this.#reject(l));
    }
  }

  /** supervisor's PEventListenerDispatcher state machine over what was read. */
  #advance(l: Listener): void {
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
        this.dispatch();
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
          this.#log("warning", `${name}: bad result line: '${line}'`);
          this.#reject(l);
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
        this.#log("warning", `${name}: event was rejected`);
        this.#reject(l);
      }
      l.state = "ACKNOWLEDGED";
    }
  }

  #protocolError(l: Listener, why: string): void {
    this.#log("warning", `${l.runner.name}: ${why}; listener is in UNKNOWN state`);
    l.state = "UNKNOWN";
    l.buffer = "";
  }

  /** The listener's event goes back to the head of the buffer, to be sent first. */
  #reject(l: Listener): void {
    if (l.event !== null) this.#buffer.unshift(l.event);
    l.event = null;
  }
}
