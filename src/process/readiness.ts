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
  /** Mostly one (the dependency gate): a Set (~150 B per instance) only for more. */
  #listeners: (() => void) | Set<() => void> | null = null;

  get value(): boolean | null {
    return this.#value;
  }

  set(ready: boolean | null): void {
    if (this.#value === ready) return;
    this.#value = ready;
    const listeners = this.#listeners;
    if (typeof listeners === "function") listeners();
    else if (listeners !== null) { for (const listener of [...listeners]) listener(); }
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    const listeners = this.#listeners;
    if (listeners === null) this.#listeners = listener;
    else if (typeof listeners === "function") this.#listeners = new Set([listeners, listener]);
    else listeners.add(listener);
    return () => {
      const now = this.#listeners;
      if (now === listener) this.#listeners = null;
      else if (now instanceof Set) now.delete(listener);
    };
  }
}
