/**
 * A detached daemon's stdout and stderr are the pipe its `--detach` parent
 * read until "ready", and that parent has exited: the first write there
 * (a runtime warning, a stray log) is EPIPE, which node's stream layer
 * throws uncaught. Once ready, fds 1 and 2 are pointed at /dev/null, so no
 * write anywhere can kill the daemon; the event log has everything.
 *
 * @module
 */

import { libc } from "../process/libc.ts";

const O_WRONLY = 1;

/** Points fds 1 and 2 at /dev/null; false when that could not be done. */
export function silenceStdio(): boolean {
  const c = libc();
  if (c === null) return false;
  const fd = c.symbols.open(new TextEncoder().encode("/dev/null\0"), O_WRONLY);
  if (fd < 0) return false;
  const ok = c.symbols.dup2(fd, 1) >= 0 && c.symbols.dup2(fd, 2) >= 0;
  if (fd > 2) c.symbols.close(fd);
  return ok;
}
