/**
 * A readers–writer lock for async code: commands share it, a reload takes it
 * alone, so a reload is atomic with respect to every other command.
 *
 * @module
 */

/** Many shared holders at once, or one exclusive holder. */
export class RwLock {
  #readers = 0;
  #writer = false;
  #queue: { exclusive: boolean; grant: () => void }[] = [];

  /** Runs `fn` alongside other shared holders. */
  shared<T>(fn: () => Promise<T>): Promise<T> {
    return this.#run(false, fn);
  }

  /** Runs `fn` with no other holder. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.#run(true, fn);
  }

  async #run<T>(exclusive: boolean, fn: () => Promise<T>): Promise<T> {
    await this.#acquire(exclusive);
    try {
      return await fn();
    } finally {
      if (exclusive) this.#writer = false;
      else this.#readers--;
      this.#pump();
    }
  }

  #acquire(exclusive: boolean): Promise<void> {
    return new Promise((grant) => {
      this.#queue.push({ exclusive, grant });
      this.#pump();
    });
  }

  // First come, first served: a waiting writer blocks readers that came after it.
  #pump(): void {
    while (this.#queue.length > 0 && !this.#writer) {
      const next = this.#queue[0]!;
      if (next.exclusive) {
        if (this.#readers > 0) return;
        this.#writer = true;
      } else {
        this.#readers++;
      }
      this.#queue.shift();
      next.grant();
    }
  }
}
