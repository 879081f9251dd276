/**
 * A child's output pipe read by the daemon itself, through a descriptor of
 * its own (pipe_fds.ts): reads are plain non-blocking `read(2)` calls into
 * the relay's buffer, and an empty pipe is waited for with the shared epoll
 * (fd_poller.ts). A quiet instance then costs a descriptor and a small
 * closure instead of a Deno stream with a read pending (issue 17).
 *
 * @module
 */

import type { ByteSource } from "../output/byte_source.ts";
import type { FdPoller } from "./fd_poller.ts";
import { lastErrno, libc } from "./libc.ts";

const EINTR = 4;
const EBADF = 9;
const EFAULT = 14;

/** Reads `fd` (ours, non-blocking; closed by `release`) as a {@link ByteSource}. */
export function pipeSource(fd: number, poller: FdPoller): ByteSource {
  const c = libc();
  if (c === null) throw new Error("pipeSource needs FFI");
  const watch = poller.watch(fd);
  let cancelled = false;
  let closed = false;
  let ended = false; // EOF or a failed read: nothing more to take
  // Callers of drain(), told once a read begun after their call found the
  // pipe empty and the reader is back for more (so it has handled those
  // bytes), or the stream ended.
  let drainWaiters: (() => void)[] = [];
  let emptied = false;
  const drained = () => {
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const resolve of waiters) resolve();
  };
  return {
    async read(view) {
      if (view.byteLength === 0) throw new TypeError("cannot read into an empty view");
      if (emptied) drained();
      for (;;) {
        if (cancelled || closed) {
          drained();
          return { chunk: null, done: true };
        }
        const n = Number(c.symbols.read(fd, view, BigInt(view.byteLength)));
        if (n > 0) {
          if (n < view.byteLength) emptied = true;
          return { chunk: view.subarray(0, n), done: false };
        }
        if (n === 0) {
          ended = true;
          drained();
          return { chunk: view.subarray(0, 0), done: true };
        }
        const errno = lastErrno(c);
        if (errno === EINTR) continue;
        // Only a descriptor that is not ours (a bug) fails otherwise; any other
        // errno is taken as EAGAIN, in case something between the two calls set it.
        if (errno === EBADF || errno === EFAULT) {
          ended = true;
          drained();
          throw new Error(`read of an output pipe failed (errno ${errno})`);
        }
        emptied = true;
        drained();
        await watch.whenReadable();
      }
    },
    whenReadable() {
      if (emptied) drained();
      return cancelled || closed ? Promise.resolve() : watch.whenReadable();
    },
    drain() {
      if (cancelled || closed || ended) return Promise.resolve();
      const done = new Promise<void>((resolve) => drainWaiters.push(resolve));
      emptied = false;
      watch.poke();
      return done;
    },
    cancel() {
      cancelled = true;
      watch.close();
      drained();
      return Promise.resolve();
    },
    release() {
      if (closed) return;
      closed = true;
      watch.close();
      drained();
      c.symbols.close(fd);
    },
  };
}
