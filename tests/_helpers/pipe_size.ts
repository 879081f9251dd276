/**
 * The capacity of a process's pipe, read from the test (F_GETPIPE_SZ on a
 * descriptor of its own, through the process's /proc fd link).
 *
 * @module
 */
import assert from "node:assert/strict";
import { libc } from "../../src/process/libc.ts";

const F_GETPIPE_SZ = 1032;
const O_WRONLY = 1;

/** The capacity of the pipe behind `pid`'s `fd`. FFI missing fails the test, never skips it. */
export function pipeSizeOf(pid: number | null, fd: number): number {
  assert.ok(pid !== null, "running, with a pid");
  const c = libc();
  assert.ok(c !== null, "libc through FFI (deno test --allow-all on glibc Linux)");
  // The write end: opening a pipe for reading waits while it has no writer.
  const own = c.symbols.open(new TextEncoder().encode(`/proc/${pid}/fd/${fd}\0`), O_WRONLY);
  assert.ok(own >= 0, `fd ${fd} of ${pid} can be opened`);
  try {
    return c.symbols.fcntl(own, F_GETPIPE_SZ, 0);
  } finally {
    c.symbols.close(own);
  }
}
