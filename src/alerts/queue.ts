/**
 * One channel's delivery line: a bounded queue (the oldest message is
 * dropped, and counted, when it is full) and one worker that sends in order.
 * Nothing here is awaited by the supervisor: `push` returns at once.
 *
 * @module
 */

import { errorMessage, type Sender } from "./channels/sender.ts";
import type { AlertMessage, ChannelKind, ChannelStats } from "./types.ts";

/** How often a failing channel may write to the event log. */
export const FAILURE_LOG_INTERVAL_MS = 60_000;

/** Reports delivery failures (rate-limited by the queue). */
export type FailureLog = (message: string) => void;

/** Sends one channel's messages, one at a time, in order. */
export class ChannelQueue {
  readonly name: string;
  readonly kind: ChannelKind;
  #sender: Sender;
  #capacity: number;
  #redact: (text: string) => string;
  #log: FailureLog;
  #now: () => number;
  #items: AlertMessage[] = [];
  #running = false;
  #idle: (() => void)[] = [];
  #closed = false;
  #sent = 0;
  #failed = 0;
  #dropped = 0;
  #lastError: string | null = null;
  #lastErrorAt: number | null = null;
  #lastLogAt = -Infinity;
  #unlogged = 0;

  constructor(options: {
    name: string;
    kind: ChannelKind;
    sender: Sender;
    capacity: number;
    redact: (text: string) => string;
    log: FailureLog;
    now: () => number;
  }) {
    this.name = options.name;
    this.kind = options.kind;
    this.#sender = options.sender;
    this.#capacity = options.capacity;
    this.#redact = options.redact;
    this.#log = options.log;
    this.#now = options.now;
  }

  /** Queues a message; drops the oldest when full. Never waits. */
  push(message: AlertMessage): void {
    if (this.#closed) return;
    this.#items.push(message);
    while (this.#items.length > this.#capacity) {
      this.#items.shift();
      this.#dropped++;
    }
    if (!this.#running) this.#run();
  }

  /** Sends one message now, outside the queue (`alert test`); null or the error. */
  async sendNow(message: AlertMessage): Promise<string | null> {
    return await this.#deliver(message);
  }

  async #run(): Promise<void> {
    this.#running = true;
    while (this.#items.length > 0 && !this.#closed) {
      await this.#deliver(this.#items.shift()!);
    }
    this.#running = false;
    for (const wake of this.#idle.splice(0)) wake();
  }

  async #deliver(message: AlertMessage): Promise<string | null> {
    try {
      await this.#sender.send(message);
      this.#sent++;
      return null;
    } catch (error) {
      const text = this.#redact(errorMessage(error));
      this.#failed++;
      this.#lastError = text;
      this.#lastErrorAt = this.#now();
      this.#reportFailure(text);
      return text;
    }
  }

  #reportFailure(text: string): void {
    const now = this.#now();
    if (now - this.#lastLogAt < FAILURE_LOG_INTERVAL_MS) {
      this.#unlogged++;
      return;
    }
    const more = this.#unlogged > 0
      ? ` (${this.#unlogged} more failures since the last report)`
      : "";
    this.#unlogged = 0;
    this.#lastLogAt = now;
    this.#log(`alert channel "${this.name}" (${this.kind}): delivery failed: ${text}${more}`);
  }

  /** Resolves when the queue is empty, or after `ms`. */
  drained(ms: number): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Counters, for status and the API. */
  stats(): ChannelStats {
    return {
      name: this.name,
      type: this.kind,
      sent: this.#sent,
      failed: this.#failed,
      dropped: this.#dropped,
      queued: this.#items.length,
      last_error: this.#lastError,
      last_error_at: this.#lastErrorAt === null ? null : new Date(this.#lastErrorAt).toISOString(),
    };
  }

  /** Takes the counters of the queue this one replaces (a reload changed the channel). */
  inherit(previous: ChannelQueue): void {
    const s = previous.stats();
    this.#sent = s.sent;
    this.#failed = s.failed;
    this.#dropped = s.dropped;
    this.#lastError = s.last_error;
    this.#lastErrorAt = previous.#lastErrorAt;
  }

  /** Stops sending; what is queued is dropped (counted). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#dropped += this.#items.length;
    this.#items = [];
    this.#sender.close();
  }
}
