/**
 * kill(2), through libc where FFI is allowed. Deno.kill loads Deno's
 * process module on its first call (~1.7 ms, paid at a daemon's first
 * stop) and throws an error object, stack and all, for every group that is
 * already gone, which is the answer a stopped instance's probe expects.
 * Deno.kill where there is no FFI.
 *
 * @module
 */

import { signalNumberOf } from "../util/signal_numbers.ts";
import { ERRNO, lastErrno, libc } from "./libc.ts";

const { EPERM, ESRCH, EINVAL } = ERRNO;

/**
 * Sends `signal` to `target` (a pid, or minus a process group's id); 0
 * sends nothing and only checks. Returns 0 once sent, else kill(2)'s errno.
 */
export function sendSignal(target: number, signal: Deno.Signal | 0): number {
  const number = signal === 0 ? 0 : signalNumberOf(signal);
  if (number === undefined) return EINVAL;
  const c = libc();
  if (c === null) return killThroughDeno(target, signal);
  return c.symbols.kill(target, number) === 0 ? 0 : lastErrno(c);
}

function killThroughDeno(target: number, signal: Deno.Signal | 0): number {
  try {
    Deno.kill(target, signal as Deno.Signal);
    return 0;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return ESRCH;
    if (error instanceof Deno.errors.PermissionDenied) return EPERM;
    return EINVAL;
  }
}

/** What kill(2)'s `errno` says, as Deno.kill's error said it (class and words). */
export function signalError(errno: number): Error {
  if (errno === EPERM) return new Deno.errors.PermissionDenied("EPERM: Operation not permitted");
  if (errno === ESRCH) return new Deno.errors.NotFound("ESRCH: No such process");
  if (errno === EINVAL) return new Error("EINVAL: Invalid argument");
  return new Error(`kill failed (errno ${errno})`);
}
