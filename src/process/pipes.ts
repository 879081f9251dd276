/**
 * Children's output pipes, sized to their streams. With Linux's default
 * 64 KiB pipe, a fast writer blocks every 64 KiB until taskmaster's relay
 * wakes up and reads; at 1 MiB it rarely waits, and the relay reads in
 * larger blocks. Measured with a 300 MB producer: 0.76–0.89 of a shell
 * redirect's throughput at 64 KiB, 0.92–1.0 at 1 MiB (bench/RESULTS.md).
 *
 * A pipe is widened only once its stream floods (a read of 32 KiB or more:
 * relay.ts), and given its default size back once the stream calms down
 * (64 short reads in a row) or falls silent (no read for a second or two:
 * idle_sweep.ts). For a user without CAP_SYS_RESOURCE the kernel
 * counts every pipe's capacity, full or empty, against
 * /proc/sys/fs/pipe-user-pages-soft (64 MiB by default): past it, no pipe
 * may grow and every new pipe gets 8 KiB. Widened at spawn, the first 32
 * programs' pipes took the whole allowance, and each later program's
 * output went through 8 KiB pipes (bench/RESULTS.md, twenty-fifth pass).
 * 1 MiB is the default /proc/sys/fs/pipe-max-size, so it needs no privilege.
 * Pipes read through Deno's streams (no FFI: spawner.ts) keep their size.
 *
 * Deno hands out no file descriptors, so a pipe Deno made is named through
 * the child's own fd in /proc (same pipe, a new descriptor, closed at once).
 *
 * @module
 */

import { cString, libc } from "./libc.ts";
import { type PipeIdentity, pipeIdentity } from "./pipe_fds.ts";

const F_SETPIPE_SZ = 1031;
const O_WRONLY = 1;
const O_CLOEXEC = 0o2000000;
/** Bytes of capacity a flooding stream's pipe is given. */
export const PIPE_SIZE = 1024 * 1024;
/** Linux's default capacity, given back to a pipe once its stream is quiet. */
export const DEFAULT_PIPE_SIZE = 64 * 1024;

/**
 * The identity of each pipe behind `pid`'s `fds` (stdout and stderr), from a
 * descriptor opened here (no second look into the child's /proc): null where
 * the fd is not a pipe or could not be reached.
 */
export function outputPipeIdentities(
  pid: number,
  fds: readonly number[] = [1, 2],
): (PipeIdentity | null)[] {
  const c = libc();
  if (c === null) return fds.map(() => null);
  return fds.map((fd) => {
    // The write end: opening a pipe for reading waits while it has no writer.
    const own = c.symbols.open(cString(`/proc/${pid}/fd/${fd}`), O_WRONLY | O_CLOEXEC);
    if (own < 0) return null;
    const identity = pipeIdentity(own);
    c.symbols.close(own);
    return identity;
  });
}

/**
 * Gives the pipe behind `fd` (ours) {@link PIPE_SIZE}. Refused (EPERM) past
 * the user's allowance, and where the system's limit is lower: the pipe
 * then stays as it is.
 */
export function widenPipe(fd: number): void {
  libc()?.symbols.fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE);
}

/**
 * Gives the pipe behind `fd` (ours) {@link DEFAULT_PIPE_SIZE} back. Refused
 * (EBUSY) while it holds more than that: it then stays wide until the
 * stream is quiet again.
 */
export function narrowPipe(fd: number): void {
  libc()?.symbols.fcntl(fd, F_SETPIPE_SZ, DEFAULT_PIPE_SIZE);
}
