/**
 * The daemon's own descriptor of a fresh child's output pipe. Deno keeps its
 * read end of each pipe behind a ReadableStream, and a stream with a read
 * pending costs ~14 KB of daemon memory per instance for two pipes (issue
 * 17: 28 KB per child with both streams read, 16 KB with the descriptors
 * read through fd_poller.ts instead). Deno hands out no descriptor, so it is
 * found: Deno makes the pipes at spawn, so they take the lowest free numbers
 * from the one noted before the spawn, and the candidate is the one whose
 * pipe (device and inode) is the child's own fd 1 (or 2), as pipes.ts
 * names it, opened read-only. It is duplicated, so the stream
 * can then be cancelled (closing Deno's copy) while the pipe lives on in ours.
 *
 * A child that already moved its fds, or exited, is not matched (see
 * {@link duplicateOutputPipes}): the caller keeps Deno's streams, as before.
 *
 * @module
 */

import { libc } from "./libc.ts";

const F_GETFL = 3;
const F_SETFL = 4;
const F_DUPFD_CLOEXEC = 1030;
const O_ACCMODE = 3;
const O_RDONLY = 0;
const O_NONBLOCK = 0o4000;
/**
 * Descriptors looked at from the lowest free one: the new pipes follow it,
 * past any descriptors still open above a gap.
 */
const SCANNED = 256;

/** The lowest free descriptor number right now, or null without FFI. */
export function lowestFreeFd(): number | null {
  const c = libc();
  if (c === null) return null;
  const fd = c.symbols.fcntl(0, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return null;
  c.symbols.close(fd);
  return fd;
}

/** Which pipe a descriptor is: its device and inode (a pipe's `pipe:[inode]`). */
export interface PipeIdentity {
  readonly dev: bigint;
  readonly ino: bigint;
}

/** `struct stat`: st_dev and st_ino lead on every Linux ABI; st_mode follows st_nlink on x86-64 only. */
const STAT_SIZE = 256;
/** One buffer for every fstat: a spawn looks at several candidates in a row. */
const STAT = new Uint8Array(STAT_SIZE);
const STAT_VIEW = new DataView(STAT.buffer);
const MODE_OFFSET = Deno.build.arch === "x86_64" ? 24 : 16;
const S_IFMT = 0o170000;
const S_IFIFO = 0o010000;

/** The identity of the pipe `fd` (ours) is, or null when it is not a pipe. */
export function pipeIdentity(fd: number): PipeIdentity | null {
  const c = libc();
  if (c === null) return null;
  if (c.symbols.fstat(fd, STAT) !== 0) return null;
  const view = STAT_VIEW;
  if ((view.getUint32(MODE_OFFSET, true) & S_IFMT) !== S_IFIFO) return null;
  return { dev: view.getBigUint64(0, true), ino: view.getBigUint64(8, true) };
}

/**
 * Non-blocking duplicates of the daemon's read ends of `pipes` (the child's
 * stdout and stderr, in that order, as pipes.ts saw them), searched from
 * descriptor `from`; null, nothing taken, unless every one is found as Deno
 * made them. A program may already have moved its fds when they are looked
 * at: after its own `exec 2>&1` both name one pipe, and a swap puts them out
 * of creation order (stdout's pipe is made first, so its read end has the
 * lower number); either way Deno's streams are kept. One fstat per
 * candidate: a readlink of /proc/self/fd/N costs ~50 µs.
 */
export function duplicateOutputPipes(
  pipes: readonly (PipeIdentity | null)[],
  from: number,
): number[] | null {
  const c = libc();
  if (c === null || pipes.some((p) => p === null)) return null;
  const wanted = pipes as readonly PipeIdentity[];
  if (wanted.length === 2 && wanted[0]!.ino === wanted[1]!.ino) return null;
  const found: number[] = [];
  for (let fd = from; fd < from + SCANNED && found.length < wanted.length; fd++) {
    const seen = pipeIdentity(fd);
    const next = wanted[found.length]!;
    if (seen === null || seen.ino !== next.ino || seen.dev !== next.dev) continue;
    const flags = c.symbols.fcntl(fd, F_GETFL, 0);
    if (flags >= 0 && (flags & O_ACCMODE) === O_RDONLY) found.push(fd);
  }
  if (found.length < wanted.length) return null;
  const copies: number[] = [];
  for (const fd of found) {
    const copy = c.symbols.fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) {
      for (const taken of copies) c.symbols.close(taken);
      return null;
    }
    // Shared with Deno's descriptor (tokio sets it), but never assumed.
    makeNonBlocking(copy);
    copies.push(copy);
  }
  return copies;
}

/** Sets O_NONBLOCK on `fd` (ours) unless it is set already. */
export function makeNonBlocking(fd: number): void {
  const c = libc();
  if (c === null) return;
  const flags = c.symbols.fcntl(fd, F_GETFL, 0);
  if (flags >= 0 && (flags & O_NONBLOCK) === 0) c.symbols.fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/** Closes a descriptor of ours. */
export function closeFd(fd: number): void {
  libc()?.symbols.close(fd);
}
