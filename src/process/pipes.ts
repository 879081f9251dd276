/**
 * Bigger pipes for children's stdout and stderr. With Linux's default 64 KiB
 * pipe, a fast writer blocks every 64 KiB until taskmaster's relay wakes up
 * and reads; at 1 MiB it rarely waits, and the relay reads in larger blocks.
 * Measured with a 300 MB producer: 0.76–0.89 of a shell redirect's throughput
 * at 64 KiB, 0.92–1.0 at 1 MiB (bench/RESULTS.md). The kernel only holds pages
 * for data actually in the pipe, so the cost is memory only while a relay is
 * behind, at most 1 MiB per stream; 1 MiB is also the default
 * /proc/sys/fs/pipe-max-size, so it works without privileges.
 *
 * Deno hands out no file descriptors, so the pipe is reached through the
 * child's own fd in /proc (same pipe, a new descriptor, closed at once).
 *
 * @module
 */

import { cString, libc } from "./libc.ts";
import { type PipeIdentity, pipeIdentity } from "./pipe_fds.ts";

const F_SETPIPE_SZ = 1031;
const O_WRONLY = 1;
const O_CLOEXEC = 0o2000000;
/** Bytes of pipe capacity asked for. */
export const PIPE_SIZE = 1024 * 1024;

/**
 * Enlarges the pipes behind `pid`'s `fds` (stdout and stderr) and returns
 * each one's identity, from the descriptor opened here (no second look into
 * the child's /proc): null where the fd is not a pipe or could not be reached.
 */
export function enlargeOutputPipes(
  pid: number,
  fds: readonly number[] = [1, 2],
): (PipeIdentity | null)[] {
  const c = libc();
  if (c === null) return fds.map(() => null);
  return fds.map((fd) => {
    const own = c.symbols.open(cString(`/proc/${pid}/fd/${fd}`), O_WRONLY | O_CLOEXEC);
    if (own < 0) return null;
    // Fails harmlessly (EINVAL) if the child already pointed this fd elsewhere.
    enlargePipe(own);
    const identity = pipeIdentity(own);
    c.symbols.close(own);
    return identity;
  });
}

/** Gives the pipe behind `fd` (ours) {@link PIPE_SIZE}; above the system's limit it stays as it is. */
export function enlargePipe(fd: number): void {
  libc()?.symbols.fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE);
}
