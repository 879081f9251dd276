/**
 * Makes taskmaster the reaper of its programs' orphans. A grandchild whose
 * parent died is re-parented to the nearest "child subreaper", else to PID 1;
 * many container inits (and this project's CI machines) never reap, so its
 * exit would leave a zombie that still looks alive to `kill -0`, `ps` and a
 * process-group check. As a subreaper, taskmaster collects those exits itself.
 *
 * Deno has no API for this (prctl, waitid), so it goes through libc by FFI.
 * Children that Deno spawned are never touched: their status belongs to Deno.
 * Those spawned with posix_spawn are collected for their watchers.
 *
 * @module
 */

import { type ChildExits, childExits } from "./child_exits.ts";
import { libc as openLibc } from "./libc.ts";

const PR_SET_CHILD_SUBREAPER = 36;

/**
 * Reaps orphaned descendants; `isManaged(pid)` names the children Deno itself
 * waits for. The collecting is child_exits.ts's, shared with the children
 * spawned outside Deno.
 */
export class OrphanReaper {
  readonly #exits: ChildExits;

  private constructor(exits: ChildExits) {
    this.#exits = exits;
  }

  /**
   * Becomes the subreaper and reaps on every SIGCHLD. Returns null where that
   * is not possible (no FFI permission, not Linux, no glibc): orphans then go
   * to PID 1 as before, and nothing else changes.
   */
  static start(isManaged: (pid: number) => boolean): OrphanReaper | null {
    const libc = openLibc();
    const exits = childExits();
    if (libc === null || exits === null) return null;
    if (libc.symbols.prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n) !== 0) return null;
    exits.reapOrphans(isManaged);
    return new OrphanReaper(exits);
  }

  /** Reaps every exited orphan now; returns how many. */
  sweep(): number {
    return this.#exits.sweep();
  }

  /**
   * Reaps until taskmaster has no child left (at shutdown, once every
   * program is collected, what remains are orphans), for at most
   * `timeoutMs`: an orphan killed a moment ago may not have
   * become a zombie yet, and one left unreaped when taskmaster exits goes to
   * an init that may never collect it.
   */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.sweep();
      if (!this.#exits.hasChildren() || Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Stops reaping orphans. */
  close(): void {
    this.#exits.stopReapingOrphans();
  }
}
