/**
 * One epoll for every output pipe the daemon reads itself (pipe_fds.ts):
 * a reader that found its pipe empty asks {@link FdPoller.onReadable} to
 * be called back when bytes (or the writers' hang-up) arrive. A callback,
 * not a promise: a quiet stream then waits as one entry in a map, with no
 * promise chain or suspended async function behind it (issue 17). Pipes are
 * registered once, edge-triggered: a chatty pipe costs no epoll_ctl per
 * wait (a one-shot watch re-armed by each wait cost one syscall per line).
 *
 * `epoll_wait` blocks, so it runs on a worker thread (a nonblocking FFI
 * call) and only while somebody waits: with no reader waiting the loop ends,
 * woken through an eventfd, and the daemon holds no pending call. Idle, the
 * thread sleeps in the kernel: no timer, no CPU. Each wake is a round trip
 * between two threads, dearer than Deno's own reactor; when events come
 * faster than 1 ms apart (many chatty programs) the loop instead sleeps
 * 0.5 ms at a time on the worker and collects what came with a
 * non-blocking epoll_wait here, until 8 ticks in a row bring nothing.
 *
 * @module
 */

import type { ReadableListener } from "../output/byte_source.ts";
import { type Libc, libc } from "./libc.ts";

const EPOLL_CLOEXEC = 0o2000000;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLL_CTL_MOD = 3;
const EPOLLIN = 0x1;
const EPOLLERR = 0x8;
const EPOLLHUP = 0x10;
const EPOLLET = 1 << 31;
const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;
/** `struct epoll_event` is packed on x86-64 only. */
const EVENT_SIZE = Deno.build.arch === "x86_64" ? 12 : 16;
const DATA_OFFSET = Deno.build.arch === "x86_64" ? 4 : 8;
const EVENTS_PER_WAIT = 64;
/**
 * A wait that returned sooner than this after it was issued means events
 * come faster than a worker round trip is worth: the loop then ticks.
 */
const BUSY_GAP_MS = 1;
/** While busy, events are collected every this many microseconds. */
const TICK_US = 500;
/** Ticks without an event after which the loop blocks in epoll_wait again. */
const QUIET_TICKS = 8;
/** How often a pipe the epoll would not take is read instead. */
const POLL_WITHOUT_EPOLL_MS = 50;
/** The eventfd's token; pipes get 1, 2, … */
const WAKE = 0;
/** An eventfd increment of 1 (native byte order: little-endian on Deno's Linux targets). */
const ONE = new Uint8Array(new BigUint64Array([1n]).buffer);

/** One pipe's registration with the poller: its token, and whether the epoll took it. */
export interface PipeWatch {
  readonly token: number;
  /** False when the epoll refused it (ENOSPC past max_user_watches, ENOMEM): it is polled. */
  readonly inEpoll: boolean;
}

/** The daemon's epoll over output pipes. */
export class FdPoller {
  readonly #c: Libc;
  readonly #epfd: number;
  readonly #wakeFd: number;
  readonly #events = new Uint8Array(EVENT_SIZE * EVENTS_PER_WAIT);
  /** Where the eventfd's count is read to reset it. */
  readonly #wakeCount = new Uint8Array(8);
  readonly #waiters = new Map<number, ReadableListener>();
  /** Pipes that became readable while their reader was busy: its next wait returns at once. */
  readonly #early = new Set<number>();
  /**
   * Pipes whose writers have all gone: an edge-triggered hang-up is reported
   * once, possibly with the last bytes, so every later wait returns at once
   * and the reader reads on to EOF.
   */
  readonly #hungUp = new Set<number>();
  #nextToken = WAKE + 1;
  #running = false;
  /**
   * The eventfd was written to end the wait and the loop has not read it
   * yet: a stop of 100 instances unwatches 200 pipes in one turn, and each
   * wrote it again.
   */
  #wakeSent = false;
  /**
   * Pipes unwatched while a wait was out: events the wait brings back for
   * them are dropped, else they would stay in #early or #hungUp for good
   * (tokens are never reused).
   */
  readonly #unwatchedMeanwhile = new Set<number>();

  private constructor(c: Libc, epfd: number, wakeFd: number) {
    this.#c = c;
    this.#epfd = epfd;
    this.#wakeFd = wakeFd;
  }

  /** A poller, or null where epoll cannot be reached (no FFI). */
  static open(): FdPoller | null {
    const c = libc();
    if (c === null) return null;
    const epfd = c.symbols.epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) return null;
    const wakeFd = c.symbols.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wakeFd < 0 || !control(c, epfd, EPOLL_CTL_ADD, wakeFd, EPOLLIN, WAKE)) {
      if (wakeFd >= 0) c.symbols.close(wakeFd);
      c.symbols.close(epfd);
      return null;
    }
    return new FdPoller(c, epfd, wakeFd);
  }

  /** Whether the wait loop is running (somebody is waiting). */
  get waiting(): boolean {
    return this.#running;
  }

  /**
   * Registers `fd`, a pipe read end of ours, edge-triggered: a wait must
   * follow a read that found the pipe empty (EAGAIN, or a read shorter than
   * asked), and an edge that comes while nobody waits is kept for the next
   * wait. One epoll_ctl per pipe, not one per wait. The reader keeps the
   * token and `inEpoll` (no object of the poller's per pipe: issue 17).
   */
  watch(fd: number): PipeWatch {
    const token = this.#nextToken++;
    const inEpoll = control(this.#c, this.#epfd, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLET, token);
    return { token, inEpoll };
  }

  /**
   * Tells `listener` once the watched pipe is readable or hung up: at once
   * (in a microtask) if it already is. One listener per pipe at a time.
   */
  onReadable(token: number, inEpoll: boolean, listener: ReadableListener): void {
    if (this.#early.delete(token) || this.#hungUp.has(token)) {
      queueMicrotask(() => listener.readable());
    } else if (!inEpoll) {
      // Not in the epoll: poll instead, rather than read again at once and starve the event loop.
      setTimeout(() => listener.readable(), POLL_WITHOUT_EPOLL_MS);
    } else {
      this.#waiters.set(token, listener);
      this.#ensureLoop();
    }
  }

  /** Treats the pipe as readable now: wakes its listener, or its next wait returns at once. */
  poke(token: number): void {
    if (!this.#wake(token)) this.#early.add(token);
    this.#stopIfIdle();
  }

  /**
   * Stops reporting `fd`'s bytes while something else reads it to the end
   * of a flood (native_copy.ts): each write into the pipe is an edge, and
   * each edge would wake the loop and the event loop for nothing (a 300 MB
   * flood: ~800 wakes of the main thread). Its writers' hang-up is still
   * noted. {@link unmute} puts it back.
   */
  mute(fd: number, token: number, inEpoll: boolean): void {
    if (inEpoll) control(this.#c, this.#epfd, EPOLL_CTL_MOD, fd, EPOLLET, token);
  }

  /**
   * After {@link mute}: reports `fd`'s bytes again (at once if it holds
   * some). Returns whether it is in the epoll: if the kernel refuses it
   * back (ENOMEM), its reader polls it instead, as one never taken.
   */
  unmute(fd: number, token: number, inEpoll: boolean): boolean {
    if (!inEpoll) return false;
    if (control(this.#c, this.#epfd, EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLET, token)) return true;
    control(this.#c, this.#epfd, EPOLL_CTL_DEL, fd, 0, token);
    return control(this.#c, this.#epfd, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLET, token);
  }

  /**
   * Takes `fd` out of the epoll (before it is closed) and wakes its
   * listener. Once per watch. `inEpoll` false: not in it, or left for the
   * close of its only descriptor, which takes it out itself.
   */
  unwatch(fd: number, token: number, inEpoll: boolean): void {
    if (inEpoll) control(this.#c, this.#epfd, EPOLL_CTL_DEL, fd, 0, token);
    if (this.#running) this.#unwatchedMeanwhile.add(token);
    this.#early.delete(token);
    this.#hungUp.delete(token);
    this.#wake(token);
    this.#stopIfIdle();
  }

  /** Wakes the waiter of `token`; false when nobody waits on it. */
  #wake(token: number): boolean {
    const listener = this.#waiters.get(token);
    if (listener === undefined) return false;
    this.#waiters.delete(token);
    // Later, as a promise's resolution was: the waker (the loop, a close) is not re-entered.
    queueMicrotask(() => listener.readable());
    return true;
  }

  #ensureLoop(): void {
    if (!this.#running) this.#loop().catch(() => this.#wakeAll());
  }

  async #loop(): Promise<void> {
    this.#running = true;
    const c = this.#c.symbols;
    const view = new DataView(this.#events.buffer);
    // Busy (events less than BUSY_GAP_MS apart): collect them every TICK_US
    // on this thread instead of one worker round trip per event.
    let ticking = false;
    let quietTicks = 0;
    try {
      while (this.#waiters.size > 0) {
        let n: number;
        if (ticking) {
          await c.usleep(TICK_US);
          n = c.epoll_wait_now(this.#epfd, this.#events, EVENTS_PER_WAIT, 0);
          if (n === 0 && ++quietTicks >= QUIET_TICKS) ticking = false;
          if (n > 0) quietTicks = 0;
        } else {
          const issued = performance.now();
          n = await c.epoll_wait(this.#epfd, this.#events, EVENTS_PER_WAIT, -1);
          if (n > 0 && performance.now() - issued < BUSY_GAP_MS) {
            ticking = true;
            quietTicks = 0;
          }
        }
        if (n < 0) {
          // EINTR (a signal reached the worker thread): waiters read again and wait again.
          this.#wakeAll();
          break;
        }
        for (let i = 0; i < n; i++) {
          const token = view.getUint32(i * EVENT_SIZE + DATA_OFFSET, true);
          if (this.#unwatchedMeanwhile.has(token)) continue;
          if ((view.getUint32(i * EVENT_SIZE, true) & (EPOLLHUP | EPOLLERR)) !== 0) {
            this.#hungUp.add(token);
          }
          if (token === WAKE) {
            c.read(this.#wakeFd, this.#wakeCount, 8n);
            this.#wakeSent = false;
          } else if (!this.#wake(token)) this.#early.add(token);
        }
        this.#unwatchedMeanwhile.clear();
      }
    } finally {
      this.#running = false;
      this.#wakeSent = false;
      this.#unwatchedMeanwhile.clear();
    }
  }

  /** Ends a blocked epoll_wait once nobody waits, so the loop stops. */
  #stopIfIdle(): void {
    if (this.#waiters.size > 0 || !this.#running || this.#wakeSent) return;
    this.#wakeSent = true;
    this.#c.symbols.write(this.#wakeFd, ONE, 8n);
  }

  #wakeAll(): void {
    for (const token of [...this.#waiters.keys()]) this.#wake(token);
  }
}

/** The one `struct epoll_event` every epoll_ctl fills: the kernel copies it in before returning. */
const controlEvent = new Uint8Array(EVENT_SIZE);
const controlView = new DataView(controlEvent.buffer);

function control(c: Libc, epfd: number, op: number, fd: number, events: number, token: number) {
  controlView.setUint32(0, events, true);
  controlView.setUint32(DATA_OFFSET, token, true);
  return c.symbols.epoll_ctl(epfd, op, fd, controlEvent) === 0;
}

let shared: FdPoller | null | undefined;

/** The daemon's poller, opened on first use; null without FFI. */
export function outputPoller(): FdPoller | null {
  if (shared === undefined) shared = FdPoller.open();
  return shared;
}
