/**
 * Collects the exits Deno does not: the children started with posix_spawn
 * (posix_spawn.ts), whose status goes to whoever watches them, and, once
 * taskmaster is a subreaper (reaper.ts), orphaned descendants. One sweep
 * serves both because both arrive the same way: a SIGCHLD, then `waitid`
 * over all of the process's children.
 *
 * The sweep looks at the first exited child without collecting it
 * (`WNOWAIT`): one of Deno's own (a `Deno.Command` child) is left for Deno,
 * and the watched ones behind it are then asked for one by one, so none
 * waits on Deno's turn.
 *
 * @module
 */

import { type Libc, libc } from "./libc.ts";
import { signalName } from "../util/signal_numbers.ts";

const P_ALL = 0;
const WNOHANG = 1;
const WEXITED = 4;
const WNOWAIT = 0x01000000;
/** Offset of `si_pid` in Linux's siginfo_t (x86_64 and aarch64). */
const SI_PID_OFFSET = 16;
/** How soon to look again for orphans when a zombie of Deno's own is first in line. */
const RETRY_MS = 5;
/** The keep-alive timer's period: as long as a timer may be (~12 days). */
const KEEP_ALIVE_MS = 2 ** 30;

/** How a collected child ended: a code, or the signal that killed it. */
export interface WaitStatus {
  readonly code: number | null;
  readonly signal: string | null;
}

/**
 * Told how a watched child ended: an object (the child's record), not a
 * promise and its resolver per child (issue 17).
 */
export interface ExitWatcher {
  exited(status: WaitStatus): void;
}

/** The process's one collector of exits Deno does not own; see the module doc. */
export class ChildExits {
  readonly #c: Libc;
  readonly #watched = new Map<number, ExitWatcher>();
  /** Set while taskmaster reaps orphans: names the children Deno waits for itself. */
  #denoOwns: ((pid: number) => boolean) | null = null;
  #listening = false;
  #retry: ReturnType<typeof setTimeout> | null = null;
  /**
   * Deno's signal listeners do not keep its event loop alive: while a child
   * is watched, this timer does (it never fires in practice).
   */
  #keepAlive: ReturnType<typeof setInterval> | null = null;
  readonly #info = new Uint8Array(128);
  readonly #infoView = new DataView(this.#info.buffer);
  readonly #status = new Int32Array(1);
  readonly #statusBytes = new Uint8Array(this.#status.buffer);
  readonly #onSignal = () => this.sweep();

  constructor(c: Libc) {
    this.#c = c;
  }

  /** Hands `pid`'s exit to `watcher` once it is collected. Call right after the spawn. */
  watch(pid: number, watcher: ExitWatcher): void {
    this.#watched.set(pid, watcher);
    this.#keepAlive ??= setInterval(() => {}, KEEP_ALIVE_MS);
    this.#listen();
  }

  /** Whether `pid` is a watched child not yet collected. */
  watches(pid: number): boolean {
    return this.#watched.has(pid);
  }

  /** Collects orphans too, from now on; `denoOwns(pid)` names children Deno collects itself. */
  reapOrphans(denoOwns: (pid: number) => boolean): void {
    this.#denoOwns = denoOwns;
    this.#listen();
  }

  /** Stops collecting orphans (watched children are still collected). */
  stopReapingOrphans(): void {
    this.#denoOwns = null;
    this.#quietIfIdle();
  }

  /** Collects every exited child that is ours to collect; returns how many orphans were reaped. */
  sweep(): number {
    let orphans = 0;
    const s = this.#c.symbols;
    for (;;) {
      this.#info.fill(0);
      const found = s.waitid(P_ALL, 0, this.#info, WEXITED | WNOHANG | WNOWAIT);
      const pid = this.#infoView.getInt32(SI_PID_OFFSET, true);
      if (found !== 0 || pid === 0) break;
      if (this.#watched.has(pid)) {
        if (!this.#collect(pid)) break;
        continue;
      }
      const denoOwns = this.#denoOwns;
      if (denoOwns !== null && !denoOwns(pid)) {
        if (s.waitpid(pid, this.#statusBytes, WNOHANG) <= 0) break;
        orphans++;
        continue;
      }
      // Deno's own, first in line: the watched ones behind it are asked
      // directly; orphans wait for Deno to collect it. The map itself, not a
      // copy: a child watched by one of these collections (a restart the
      // native code started, adopted as its predecessor is collected) is
      // visited too, and one collected is not visited again.
      for (const watched of this.#watched.keys()) this.#collect(watched);
      if (denoOwns !== null) this.#retryLater();
      break;
    }
    this.#quietIfIdle();
    return orphans;
  }

  /** Whether taskmaster has any child left, exited or not (waitid fails with ECHILD when none). */
  hasChildren(): boolean {
    return this.#c.symbols.waitid(P_ALL, 0, this.#info, WEXITED | WNOHANG | WNOWAIT) === 0;
  }

  /** Collects watched `pid` if it exited; false if it has not. */
  #collect(pid: number): boolean {
    if (this.#c.symbols.waitpid(pid, this.#statusBytes, WNOHANG) !== pid) return false;
    const watcher = this.#watched.get(pid);
    this.#watched.delete(pid);
    watcher?.exited(decodeWaitStatus(this.#status[0]!));
    return true;
  }

  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    Deno.addSignalListener("SIGCHLD", this.#onSignal);
    // An exit before the listener existed sent a SIGCHLD nobody took.
    queueMicrotask(this.#onSignal);
  }

  /** No listener (a pending signal op) while there is nothing to collect. */
  #quietIfIdle(): void {
    if (this.#watched.size === 0 && this.#keepAlive !== null) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = null;
    }
    if (!this.#listening || this.#watched.size > 0 || this.#denoOwns !== null) return;
    this.#listening = false;
    Deno.removeSignalListener("SIGCHLD", this.#onSignal);
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
  }

  #retryLater(): void {
    if (this.#retry !== null) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.sweep();
    }, RETRY_MS);
  }
}

/** A `waitpid` status as Deno reports one: the exit code, or the terminating signal. */
export function decodeWaitStatus(status: number): WaitStatus {
  const low = status & 0x7f;
  if (low === 0) return { code: (status >> 8) & 0xff, signal: null };
  return { code: null, signal: signalName(low) };
}

let collector: ChildExits | null | undefined;

/** The process's collector; null without FFI (nothing is then spawned outside Deno). */
export function childExits(): ChildExits | null {
  if (collector !== undefined) return collector;
  const c = libc();
  return collector = c === null ? null : new ChildExits(c);
}
