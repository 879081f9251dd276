/**
 * Rule batching (`batch: N`): the first alert a rule admits opens a window
 * of N seconds; what the rule admits meanwhile joins it, and the whole
 * window goes out as one `digest` message when it closes. A reload or the
 * daemon's stop closes every open window at once, so nothing is held back.
 *
 * @module
 */

import type { AlertMessage, AlertPayload, RuleConfig } from "./types.ts";

interface Batch {
  items: AlertPayload[];
  timer: ReturnType<typeof setTimeout>;
  rule: RuleConfig;
}

/** What the batches need: the time, the host named in digests, and delivery. */
export interface DigestDeps {
  readonly now: () => number;
  readonly host: string;
  readonly deliver: (rule: RuleConfig, message: AlertMessage) => void;
}

/** Open batching windows, one per rule (by rule key). */
export class DigestBatches {
  readonly #deps: DigestDeps;
  readonly #batches = new Map<string, Batch>();

  constructor(deps: DigestDeps) {
    this.#deps = deps;
  }

  /** Adds a payload to the rule's window, opening one if none is open. */
  add(key: string, rule: RuleConfig, payload: AlertPayload): void {
    const batch = this.#batches.get(key);
    if (batch !== undefined) {
      batch.items.push(payload);
      return;
    }
    const timer = setTimeout(() => this.#flush(key), rule.batch * 1000);
    this.#batches.set(key, { items: [payload], timer, rule });
  }

  /** Sends every open window now. */
  flushAll(): void {
    for (const key of [...this.#batches.keys()]) this.#flush(key);
  }

  #flush(key: string): void {
    const batch = this.#batches.get(key);
    if (batch === undefined) return;
    clearTimeout(batch.timer);
    this.#batches.delete(key);
    this.#deps.deliver(batch.rule, {
      kind: "digest",
      payload: {
        version: 1,
        event: "digest",
        time: new Date(this.#deps.now()).toISOString(),
        host: this.#deps.host,
        count: batch.items.length,
        alerts: batch.items,
      },
    });
  }
}
