/**
 * Collecting what launching the programs left behind, once, when the launch
 * is over, and the same after any later burst of spawns. Launching N
 * programs leaves garbage that grows with N (each spawn rewrites the state
 * file: 1,000 programs left ~7 MB of old large strings and arrays, each in
 * its own mapping); with V8's memory reducer off (no work while idle,
 * permissions.ts) nothing would collect it until the heap grew again, so
 * the daemon does one full collection itself (`gc`, exposed by
 * `--expose-gc`).
 *
 * @module
 */

import { type Clock, sleep } from "../util/clock.ts";

/** The heap before and after, in bytes; null where `gc` is not exposed. */
export interface Collected {
  readonly before: number;
  readonly after: number;
}

/** One full, synchronous garbage collection. */
export function collectAllGarbage(): Collected | null {
  const gc = (globalThis as { gc?: (options?: object) => void }).gc;
  if (typeof gc !== "function") return null;
  const before = Deno.memoryUsage().heapTotal;
  gc({ type: "major", execution: "sync", flavor: "last-resort" });
  return { before, after: Deno.memoryUsage().heapTotal };
}

/** How long a collection waits for a flood of output to end. */
export interface CalmRules {
  /** How often it looks again. */
  readonly everyMs: number;
  /** How long at most: a program that never stops flooding gets it anyway. */
  readonly limitMs: number;
}

const CALM_RULES: CalmRules = { everyMs: 200, limitMs: 30_000 };

/**
 * Resolves once `busy()` is false (at once if it is), or after
 * `rules.limitMs`: a full collection and the start-up code dropped (then
 * faulted back by the next request) hold the main thread for tens of
 * milliseconds, a stall the flood's program would wait through.
 */
export async function untilCalm(
  clock: Clock,
  busy: () => boolean,
  rules: CalmRules = CALM_RULES,
): Promise<void> {
  const deadline = clock.now() + rules.limitMs;
  while (busy() && clock.now() < deadline) await sleep(clock, rules.everyMs);
}

/** When a burst of spawns after the launch has its garbage collected. */
export interface BurstRules {
  /** Spawns that make a burst (fewer leave little behind). */
  readonly spawns: number;
  /** How long no spawn must come before the burst counts as over. */
  readonly quietMs: number;
}

/** A `start all` or `restart all` of hundreds, a large reload. */
const BURST_RULES: BurstRules = { spawns: 50, quietMs: 200 };

/**
 * The same one collection after a burst of spawns later on (a `restart all`
 * leaves what the launch did), once the burst is over: no timer runs while
 * nothing is spawned, so an idle daemon still does no work.
 */
export class SpawnBurstCollector {
  readonly #clock: Clock;
  readonly #rules: BurstRules;
  readonly #collect: (spawns: number) => void;
  #spawns = 0;
  #lastSpawn = 0;
  #cancel: (() => void) | null = null;

  constructor(clock: Clock, collect: (spawns: number) => void, rules = BURST_RULES) {
    this.#clock = clock;
    this.#collect = collect;
    this.#rules = rules;
  }

  /** A program was spawned. */
  spawned(): void {
    this.#spawns++;
    this.#lastSpawn = this.#clock.now();
    if (this.#spawns >= this.#rules.spawns && this.#cancel === null) {
      this.#wait(this.#rules.quietMs);
    }
  }

  /** At shutdown: nothing more is collected. */
  dispose(): void {
    this.#cancel?.();
    this.#cancel = null;
  }

  #wait(ms: number): void {
    this.#cancel = this.#clock.schedule(this.#clock.now() + ms, () => {
      this.#cancel = null;
      const quiet = this.#clock.now() - this.#lastSpawn;
      // One timer per burst, moved on when it fires early, not one per spawn.
      if (quiet < this.#rules.quietMs) return this.#wait(this.#rules.quietMs - quiet);
      const spawns = this.#spawns;
      this.#spawns = 0;
      this.#collect(spawns);
    });
  }
}
