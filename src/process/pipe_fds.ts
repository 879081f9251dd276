/**
 * The daemon's own descriptor of a fresh child's output pipe. Deno keeps its
 * read end of each pipe behind a ReadableStream, and a stream with a read
 * pending costs ~14 KB of daemon memory per instance for two pipes (issue
 * 17: 28 KB per child with both streams read, 16 KB with the descriptors
 * read through fd_poller.ts instead). Deno hands out no descriptor, so it is
 * found: Deno makes the pipes at spawn, so they take the lowest free numbers
 * from the one noted before the spawn, and the candidate is the one whose
 * `pipe:[inode]` is the child's own fd 1 (or 2), opened read-only. It is
 * duplicated, so the stream can then be cancelled (closing Deno's copy)
 * while the pipe lives on in ours.
 *
 * A child that already pointed its fd elsewhere, or exited, matches nothing:
 * the caller keeps Deno's stream, as before. Another thread opening
 * descriptors meanwhile only moves the pipe out of the range looked at,
 * with the same outcome.
 *
 * @module
 */

import { libc } from "./libc.ts";
import { linkTarget } from "./stdin_writer.ts";

const F_GETFL = 3;
const F_SETFL = 4;
const F_DUPFD_CLOEXEC = 1030;
const O_ACCMODE = 3;
const O_RDONLY = 0;
const O_NONBLOCK = 0o4000;
/** Descriptors looked at from the lowest free one: stdin, stdout and stderr pipes, and Deno's own. */
const CANDIDATES = 16;

/** The lowest free descriptor number right now, or null without FFI. */
export function lowestFreeFd(): number | null {
  const c = libc();
  if (c === null) return null;
  const fd = c.symbols.fcntl(0, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return null;
  c.symbols.close(fd);
  return fd;
}

/**
 * A non-blocking duplicate of the daemon's read end of the pipe on `pid`'s
 * `childFd`, searched from `from` (see the module doc); null when not found.
 */
export function duplicatePipeReadEnd(pid: number, childFd: number, from: number): number | null {
  const c = libc();
  if (c === null) return null;
  const pipe = linkTarget(`/proc/${pid}/fd/${childFd}`);
  if (pipe === null || !pipe.startsWith("pipe:")) return null;
  for (let fd = from; fd < from + CANDIDATES; fd++) {
    if (linkTarget(`/proc/self/fd/${fd}`) !== pipe) continue;
    const flags = c.symbols.fcntl(fd, F_GETFL, 0);
    if (flags < 0 || (flags & O_ACCMODE) !== O_RDONLY) continue;
    const copy = c.symbols.fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) return null;
    // Shared with Deno's descriptor (tokio sets it), but never assumed.
    if ((flags & O_NONBLOCK) === 0) c.symbols.fcntl(copy, F_SETFL, flags | O_NONBLOCK);
    return copy;
  }
  return null;
}

/** Closes a descriptor of ours. */
export function closeFd(fd: number): void {
  libc()?.symbols.close(fd);
}
