/**
 * Children get exactly fds 0, 1 and 2. Whatever taskmaster inherited from
 * whoever launched it (an open file on fd 7, a socket) would otherwise pass
 * to every program, even one that runs as another user. Deno opens its own
 * descriptors close-on-exec, so marking every descriptor above 2
 * close-on-exec once at start is enough.
 *
 * @module
 */

import { libc } from "./libc.ts";

const CLOSE_RANGE_CLOEXEC = 1 << 2;
const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;
/** How far the fcntl fallback looks when close_range is missing. */
const FALLBACK_LAST_FD = 4096;

/** Marks every descriptor from 3 up close-on-exec; false when that was not possible. */
export function keepDescriptorsFromChildren(): boolean {
  const c = libc();
  if (c === null) return false;
  if (c.symbols.close_range !== null) {
    if (c.symbols.close_range(3, 0xffffffff, CLOSE_RANGE_CLOEXEC) === 0) return true;
  }
  for (let fd = 3; fd <= FALLBACK_LAST_FD; fd++) {
    const flags = c.symbols.fcntl(fd, F_GETFD, 0);
    if (flags >= 0 && (flags & FD_CLOEXEC) === 0) c.symbols.fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  }
  return true;
}
