/**
 * The quiet part of alerting, per rule: a cooldown per (instance, event)
 * and a cap per hour. What is held back is counted and reported with the
 * next alert of the same key (`suppressed_since_last`). Pure: time is passed in.
 *
 * @module
 */

const HOUR_MS = 3_600_000;

/** Admission control for one rule. */
export class RuleGate {
  readonly #cooldownMs: number;
  readonly #maxPerHour: number;
  #lastSent = new Map<string, number>();
  #suppressed = new Map<string, number>();
  #sentTimes: number[] = [];

  constructor(cooldownSeconds: number, maxPerHour: number) {
    this.#cooldownMs = cooldownSeconds * 1000;
    this.#maxPerHour = maxPerHour;
  }

  /**
   * Asks to send an alert for `key` at `now`: null when held back (and
   * counted), else how many were held back for this key since the last one.
   */
  admit(key: string, now: number): { suppressed: number } | null {
    const last = this.#lastSent.get(key);
    const cooling = last !== undefined && this.#cooldownMs > 0 && now - last < this.#cooldownMs;
    this.#sentTimes = this.#sentTimes.filter((t) => now - t < HOUR_MS);
    if (cooling || this.#sentTimes.length >= this.#maxPerHour) {
      this.#suppressed.set(key, (this.#suppressed.get(key) ?? 0) + 1);
      return null;
    }
    this.#lastSent.set(key, now);
    this.#sentTimes.push(now);
    const suppressed = this.#suppressed.get(key) ?? 0;
    this.#suppressed.delete(key);
    return { suppressed };
  }
}
