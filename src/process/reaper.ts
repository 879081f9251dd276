/**
 * Makes taskmaster the reaper of its programs' orphans. A grandchild whose
 * parent died is re-parented to the nearest "child subreaper", else to PID 1;
 * many container inits (and this project's CI machines) never reap, so its
 * exit would leave a zombie that still looks alive to `kill -0`, `ps` and a
 * process-group check. As a subreaper, taskmaster collects those exits itself.
 *
 * Deno has no API for this (prctl, waitid), so it goes through libc by FFI.
 * Children that Deno spawned are never touched: their status belongs to Deno.
 *
 * @module
 */

import { type Libc, libc as openLibc } from "./libc.ts";

const PR_SET_CHILD_SUBREAPER = 36;
const P_ALL = 0;
const WNOHANG = 1;
const WEXITED = 4;
const WNOWAIT = 0x01000000;
/** Offset of `si_pid` in Linux's siginfo_t (x86_64 and aarch64). */
const SI_PID_OFFSET = 16;
/** How soon to look again when a zombie of Deno's own is first in line. */
const RETRY_MS = 5;

/** Reaps orphaned descendants; `isManaged(pid)` names the children Deno itself waits for. */
export class OrphanReaper {
  #libc: Libc;
  #isManaged: (pid: number) => boolean;
  #info = new Uint8Array(128);
  #status = new Uint8Array(4);
  #retry: ReturnType<typeof setTimeout> | null = null;
  #onSignal = () => this.sweep();

  private constructor(libc: Libc, isManaged: (pid: number) => boolean) {
    this.#libc = libc;
    this.#isManaged = isManaged;
  }

  /**
   * Becomes the subreaper and reaps on every SIGCHLD. Returns null where that
   * is not possible (no FFI permission, not Linux, no glibc): orphans then go
   * to PID 1 as before, and nothing else changes.
   */
  static start(isManaged: (pid: number) => boolean): OrphanReaper | null {
    const libc = openLibc();
    if (libc === null) return null;
    if (libc.symbols.prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n) !== 0) return null;
    const reaper = new OrphanReaper(libc, isManaged);
    Deno.addSignalListener("SIGCHLD", reaper.#onSignal);
    return reaper;
  }

  /** Reaps every exited orphan now; returns how many. */
  sweep(): number {
    let reaped = 0;
    for (;;) {
      this.#info.fill(0);
      // WNOWAIT: look at the first exited child without collecting it.
      const found = this.#libc.symbols.waitid(P_ALL, 0, this.#info, WEXITED | WNOHANG | WNOWAIT);
      const pid = new DataView(this.#info.buffer).getInt32(SI_PID_OFFSET, true);
      if (found !== 0 || pid === 0) return reaped;
      if (this.#isManaged(pid)) {
        // Deno collects its own children on its next turn; others may wait behind it.
        this.#retryLater();
        return reaped;
      }
      if (this.#libc.symbols.waitpid(pid, this.#status, WNOHANG) <= 0) return reaped;
      reaped++;
    }
  }

  #retryLater(): void {
    if (this.#retry !== null) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.sweep();
    }, RETRY_MS);
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
      if (!this.#hasChildren() || Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Whether taskmaster has any child left, exited or not (waitid fails with ECHILD when none). */
  #hasChildren(): boolean {
    return this.#libc.symbols.waitid(P_ALL, 0, this.#info, WEXITED | WNOHANG | WNOWAIT) === 0;
  }

  /** Stops listening. */
  close(): void {
    Deno.removeSignalListener("SIGCHLD", this.#onSignal);
    if (this.#retry !== null) clearTimeout(this.#retry);
  }
}
