/**
 * When every one of a set of processes has exited, to a thread hand-off:
 * a pidfd per process (`pidfd_open`, Linux 5.3), all waited for with
 * `poll(2)` on a worker thread (a nonblocking FFI call). A pidfd turns
 * readable when its process exits, a zombie included, so this works for
 * another process's children.
 *
 * Why not poll /proc: a scan of 100 children's `stat` files takes the
 * bench's thread ~1–2.5 ms here, so a poll every 2 ms sees an exit up to
 * ~4 ms late and keeps a CPU of the two busy while the supervisor works;
 * and its first scan, being synchronous, ran before a request made just
 * before it had been written to the socket (the floor's signal goes at
 * once), which put ~2 ms of the bench's own into every figure but the
 * floor's (bench/RESULTS.md, session 23).
 *
 * @module
 */

import { ERRNO, lastErrno, libc as daemonLibc } from "../src/process/libc.ts";

const SYS_PIDFD_OPEN = 434; // the same number on x86_64 and aarch64
const POLLIN = 0x1;
/** Failed polls in a row (EINTR: a signal reached the worker thread) before giving up. */
const POLL_RETRIES = 10;
const POLL_FD_SIZE = 8; // struct pollfd { int fd; short events; short revents; }

/** The daemon's libc (close, errno), and the two calls only the bench makes. */
const c = daemonLibc()!;
const libc = Deno.dlopen("libc.so.6", {
  syscall: { parameters: ["i64", "i64", "i64"], result: "i64" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
});

/** Pidfds of processes, opened before the timed part starts. */
export class ExitWatch {
  #fds: number[];

  private constructor(fds: number[]) {
    this.#fds = fds;
  }

  /**
   * Opens a pidfd for each pid; one already gone (ESRCH) counts as exited.
   * Throws when pidfds cannot be had (Linux before 5.3, a seccomp filter,
   * no descriptor left) rather than report every process gone at once.
   */
  static open(pids: readonly number[]): ExitWatch {
    const fds: number[] = [];
    for (const pid of pids) {
      const fd = Number(libc.symbols.syscall(BigInt(SYS_PIDFD_OPEN), BigInt(pid), 0n));
      if (fd >= 0) {
        fds.push(fd);
        continue;
      }
      // errno is the thread's: the daemon's library reads the bench's call's.
      const error = lastErrno(c);
      if (error === ERRNO.ESRCH) continue;
      new ExitWatch(fds).close();
      throw new Error(`pidfd_open(${pid}) failed (errno ${error}): the bench needs Linux 5.3+`);
    }
    return new ExitWatch(fds);
  }

  /**
   * Resolves with `performance.now()` once all have exited, seen as the
   * poll that found the last of them returns. Rejects after `timeoutMs`.
   * Closes the pidfds either way.
   */
  async allExited(timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    try {
      let waiting = this.#fds;
      let failures = 0;
      while (waiting.length > 0) {
        const left = Math.ceil(deadline - performance.now());
        if (left <= 0) throw new Error(`${waiting.length} processes still running`);
        const set = new Uint8Array(POLL_FD_SIZE * waiting.length);
        const view = new DataView(set.buffer);
        waiting.forEach((fd, i) => {
          view.setInt32(i * POLL_FD_SIZE, fd, true);
          view.setInt16(i * POLL_FD_SIZE + 4, POLLIN, true);
        });
        const ready = await libc.symbols.poll(set, BigInt(waiting.length), left);
        if (ready < 0) {
          // Its errno is the worker thread's: EINTR is the one failure expected.
          if (++failures > POLL_RETRIES) throw new Error("poll on pidfds keeps failing");
          continue;
        }
        failures = 0;
        // Any revents (POLLIN, or POLLHUP/POLLNVAL for a process reaped meanwhile) means gone.
        waiting = waiting.filter((_, i) => view.getInt16(i * POLL_FD_SIZE + 6, true) === 0);
      }
      return performance.now();
    } finally {
      this.close();
    }
  }

  close(): void {
    for (const fd of this.#fds) c.symbols.close(fd);
    this.#fds = [];
  }
}
