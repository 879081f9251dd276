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
import type { FdPoller, PipeWatch } from "./fd_poller.ts";
import { lastErrno, type Libc, libc } from "./libc.ts";

const EINTR = 4;
const EBADF = 9;
const EFAULT = 14;

/** Reads `fd` (ours, non-blocking; closed by `release`) as a {@link ByteSource}. */
export function pipeSource(fd: number, poller: FdPoller): ByteSource {
  const c = libc();
  if (c === null) throw new Error("pipeSource needs FFI");
  return new PipeSource(c, fd, poller.watch(fd));
}

/** A class, not a closure object: its methods are shared, ~1 KB less per instance. */
class PipeSource implements ByteSource {
  readonly #c: Libc;
  readonly #fd: number;
  readonly #watch: PipeWatch;
  #cancelled = false;
  #closed = false;
  /** EOF or a failed read: nothing more to take. */
  #ended = false;
  /**
   * Callers of drain(), told once a read begun after their call found the
   * pipe empty and the reader is back for more (so it has handled those
   * bytes), or the stream ended.
   */
  #drainWaiters: (() => void)[] = [];
  #emptied = false;

  constructor(c: Libc, fd: number, watch: PipeWatch) {
    this.#c = c;
    this.#fd = fd;
    this.#watch = watch;
  }

  async read(view: Uint8Array<ArrayBuffer>): Promise<ReadResult> {
    for (;;) {
      const result = this.readNow(view);
      if (result !== null) return result;
      await new Promise<void>((resolve) => this.#watch.onReadable({ readable: resolve }));
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
        this.#ended = true;
        this.#drained();
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

  onReadable(listener: ReadableListener): void {
    if (this.#emptied) this.#drained();
    if (this.#cancelled || this.#closed) queueMicrotask(() => listener.readable());
    else this.#watch.onReadable(listener);
  }

  drain(): Promise<void> {
    if (this.#cancelled || this.#closed || this.#ended) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
    this.#emptied = false;
    this.#watch.poke();
    return done;
  }

  cancel(): Promise<void> {
    this.#cancelled = true;
    this.#watch.close();
    this.#drained();
    return Promise.resolve();
  }

  release(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watch.close();
    this.#drained();
    this.#c.symbols.close(this.#fd);
  }

  #drained(): void {
    if (this.#drainWaiters.length === 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
