/**
 * An instance's readiness as the health monitor last judged it: null
 * without a readiness probe, else false until the probe passes (and again
 * after every spawn). Listeners (the dependency gate) hear every change.
 *
 * @module
 */

/** One instance's readiness flag and its listeners. */
export class Readiness {
  #value: boolean | null = null;
  #listeners = new Set<() => void>();

  get value(): boolean | null {
    return this.#value;
  }

  set(ready: boolean | null): void {
    if (this.#value === ready) return;
    this.#value = ready;
    for (const listener of [...this.#listeners]) listener();
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
