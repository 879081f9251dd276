/**
 * A child's output pipe read by the daemon itself, through a descriptor of
 * its own (pipe_fds.ts): reads are plain non-blocking `read(2)` calls into
 * the relay's buffer, and an empty pipe is waited for with the shared epoll
 * (fd_poller.ts). A quiet instance then costs a descriptor and a small
 * object instead of a Deno stream with a read pending (issue 17).
 *
 * @module
 */

import type { ByteSource, ReadableListener, ReadResult } from "../output/byte_source.ts";
import { FloodCopier, type FloodCopy, FloodEnd, nativeCopy } from "../output/native_copy.ts";
import type { FdPoller } from "./fd_poller.ts";
import { ERRNO, lastErrno, type Libc, libc } from "./libc.ts";
import { narrowPipe, widenPipe } from "./pipes.ts";

const { EINTR, EBADF, EFAULT } = ERRNO;

/**
 * Reads `fd` (ours, non-blocking; closed by `release`) as a {@link ByteSource}.
 * `sole`: no other descriptor refers to its pipe end (one the daemon made
 * itself, not a copy of Deno's): its close then takes it out of the epoll.
 */
export function pipeSource(fd: number, poller: FdPoller, sole = false): ByteSource {
  const c = libc();
  if (c === null) throw new Error("pipeSource needs FFI");
  const { token, inEpoll } = poller.watch(fd);
  return new PipeSource(c, fd, poller, token, inEpoll, sole);
}

/** A class, not a closure object: its methods are shared, ~1 KB less per instance. */
class PipeSource implements ByteSource {
  readonly #c: Libc;
  readonly #fd: number;
  readonly #poller: FdPoller;
  /** The pipe's registration with the poller (fields here, not an object of its own). */
  readonly #token: number;
  /** False when the epoll refused it (or refused it back after a native copy): polled then. */
  #inEpoll: boolean;
  #cancelled = false;
  #closed = false;
  /** EOF or a failed read: nothing more to take. */
  #ended = false;
  /**
   * Callers of drain(), told once a read begun after their call found the
   * pipe empty and the reader is back for more (so it has handled those
   * bytes), or, once the stream ended, when the reader lets the source go
   * (it has written what it held). Made by the first drain: a stream that
   * is never drained holds none.
   */
  #drainWaiters: (() => void)[] | null = null;
  #emptied = false;
  /** Made by the first flood copied natively: a stream that never floods holds none. */
  #copier: FloodCopier | null = null;
  /** A native copy reads the descriptor: a release closes it only once the copy is back. */
  #copying = false;
  /** See {@link pipeSource}. */
  readonly #sole: boolean;

  constructor(
    c: Libc,
    fd: number,
    poller: FdPoller,
    token: number,
    inEpoll: boolean,
    sole: boolean,
  ) {
    this.#c = c;
    this.#fd = fd;
    this.#poller = poller;
    this.#token = token;
    this.#inEpoll = inEpoll;
    this.#sole = sole;
  }

  async read(view: Uint8Array<ArrayBuffer>): Promise<ReadResult> {
    for (;;) {
      const result = this.readNow(view);
      if (result !== null) return result;
      await new Promise<void>((resolve) => this.onReadable({ readable: resolve }));
    }
  }

  readNow(view: Uint8Array<ArrayBuffer>): ReadResult | null {
    if (view.byteLength === 0) throw new TypeError("cannot read into an empty view");
    if (this.#emptied) this.#drained();
    for (;;) {
      if (this.#cancelled || this.#closed) {
        this.#drained();
        return { chunk: null, done: true };
      }
      const n = Number(this.#c.symbols.read(this.#fd, view, BigInt(view.byteLength)));
      if (n > 0) {
        if (n < view.byteLength) this.#emptied = true;
        return { chunk: view.subarray(0, n), done: false };
      }
      if (n === 0) {
        // Drain waiters are told at release, not here: the reader still has
        // to write what it holds (a partial line) once it sees the end.
        this.#ended = true;
        return { chunk: view.subarray(0, 0), done: true };
      }
      const errno = lastErrno(this.#c);
      if (errno === EINTR) continue;
      // Only a descriptor that is not ours (a bug) fails otherwise; any other
      // errno is taken as EAGAIN, in case something between the two calls set it.
      if (errno === EBADF || errno === EFAULT) {
        this.#ended = true;
        this.#drained();
        throw new Error(`read of an output pipe failed (errno ${errno})`);
      }
      this.#emptied = true;
      this.#drained();
      return null;
    }
  }

  /** A call to a worker thread and back: its completion comes with the event loop's I/O. */
  async nextTurn(): Promise<void> {
    await this.#c.symbols.usleep(0);
  }

  widen(): void {
    if (!this.#cancelled && !this.#closed) widenPipe(this.#fd);
  }

  narrow(): void {
    if (!this.#cancelled && !this.#closed) narrowPipe(this.#fd);
  }

  copyFlood(
    path: string,
    ino: number,
    buffer: Uint8Array<ArrayBuffer>,
    maxBytes: number,
  ): Promise<FloodCopy> | null {
    if (this.#cancelled || this.#closed || this.#copying || nativeCopy() === null) return null;
    const copier = this.#copier ??= new FloodCopier();
    this.#copying = true;
    this.#poller.mute(this.#fd, this.#token, this.#inEpoll);
    return copier.copy(this.#fd, path, ino, buffer, maxBytes).catch(() => NOTHING_COPIED).finally(
      () => {
        this.#copying = false;
        // Released while the copy read it: the descriptor is closed only now.
        if (this.#closed) this.#c.symbols.close(this.#fd);
        else if (!this.#cancelled) {
          this.#inEpoll = this.#poller.unmute(this.#fd, this.#token, this.#inEpoll);
        }
      },
    );
  }

  onReadable(listener: ReadableListener): void {
    if (this.#emptied) this.#drained();
    if (this.#cancelled || this.#closed) queueMicrotask(() => listener.readable());
    else this.#poller.onReadable(this.#token, this.#inEpoll, listener);
  }

  drain(drained: () => void): void {
    if (this.#cancelled || this.#closed) {
      queueMicrotask(drained);
      return;
    }
    (this.#drainWaiters ??= []).push(drained);
    // At EOF already: told when the reader, done writing, releases the source.
    if (this.#ended) return;
    this.#emptied = false;
    this.#poller.poke(this.#token);
  }

  cancel(): Promise<void> {
    this.#unwatch();
    this.#cancelled = true;
    this.#copier?.interrupt();
    this.#drained();
    return Promise.resolve();
  }

  release(): void {
    if (this.#closed) return;
    // Closed at once and the pipe's only descriptor: the close takes it out
    // of the epoll, with no epoll_ctl first (~0.02 ms of a restart, each).
    this.#unwatch(this.#sole && !this.#copying);
    this.#closed = true;
    this.#drained();
    if (this.#copying) this.#copier!.interrupt();
    else this.#c.symbols.close(this.#fd);
  }

  /**
   * Out of the epoll (or left for the close to take out: `closing`), its
   * waiter woken: once, before the descriptor is closed.
   */
  #unwatch(closing = false): void {
    if (this.#cancelled || this.#closed) return;
    this.#poller.unwatch(this.#fd, this.#token, this.#inEpoll && !closing);
  }

  #drained(): void {
    const waiters = this.#drainWaiters;
    if (waiters === null) return;
    this.#drainWaiters = null;
    for (const resolve of waiters) resolve();
  }
}

/** A copy that failed to run at all: the relay goes on reading itself. */
const NOTHING_COPIED: FloodCopy = {
  written: 0,
  end: FloodEnd.Open,
  lastRead: 0,
  afterNewline: -1,
  errno: 0,
  lastWritten: 0,
};
