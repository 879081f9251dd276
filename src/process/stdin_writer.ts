/**
 * A child's stdin without a descriptor held for it. Each instance would
 * otherwise cost the daemon one more fd for its whole life (issue 11: at
 * most 3 per instance, pid handle and two output pipes included), though
 * almost nothing ever writes to it.
 *
 * How: the child gets a pipe on fd 0 as before, and the spawn shim reopens
 * that pipe read-write onto fd 0 (`exec 0<>/proc/self/fd/0`), so the child
 * itself is a writer of its own stdin and never reads EOF, exactly as when
 * the daemon kept the write end. The daemon then closes its end, and a write
 * (sendStdin, attach, an event for a listener) opens the same pipe through
 * `/proc/PID/fd/0` for as long as the bytes take, O_NONBLOCK: a full pipe
 * (a child that does not read) is retried on a timer and never blocks the
 * daemon. The descriptor opened must be a pipe, and the very pipe seen
 * first (its `pipe:[inode]`): a program that replaced its fd 0 with a file
 * is never written into. (At spawn the shim may still have fd 0 pointed at
 * /proc/PID/status for a moment, for its parent check: a write then waits
 * for the pipe to come back.)
 *
 * @module
 */

import { cString, type Libc, libc } from "./libc.ts";

const O_WRONLY = 1;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
/** First and longest wait before writing again to a full pipe. */
const RETRY_FIRST_MS = 5;
const RETRY_MAX_MS = 200;

const decoder = new TextDecoder();

/** The target of a /proc link (`pipe:[123]`), or null when it cannot be read. */
export function linkTarget(path: string): string | null {
  const c = libc();
  if (c === null) return null;
  return readLink(c, path);
}

function readLink(c: Libc, path: string): string | null {
  const buffer = new Uint8Array(256);
  const n = Number(c.symbols.readlink(cString(path), buffer, BigInt(buffer.length)));
  return n < 0 ? null : decoder.decode(buffer.subarray(0, n));
}

/** Whether stdin can be written through /proc here (FFI and a readable /proc). */
export function procStdinAvailable(): boolean {
  return linkTarget("/proc/self/exe") !== null;
}

/**
 * A stream writing to `pid`'s stdin pipe through /proc; `identity` is the
 * pipe's `pipe:[inode]` if known (else the first pipe seen is taken). A write
 * resolves once every byte is in the pipe and rejects once the process is
 * gone (or its fd 0 is no longer that pipe).
 */
export function procStdin(pid: number, identity: string | null): WritableStream<Uint8Array> {
  const target = { pid, identity: identity?.startsWith("pipe:") ? identity : null };
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      let rest = chunk;
      let wait = RETRY_FIRST_MS;
      let notPipeSince: number | null = null;
      while (rest.length > 0) {
        const written = writeOnce(target, rest);
        if (written === NOT_A_PIPE) {
          // The shim's parent check, for a moment; anything longer is the program's doing.
          notPipeSince ??= Date.now();
          if (Date.now() - notPipeSince > NOT_A_PIPE_GRACE_MS) {
            throw new Deno.errors.BrokenPipe(`process ${pid}'s stdin is not a pipe any more`);
          }
        } else {
          notPipeSince = null;
          rest = rest.subarray(written);
          if (rest.length === 0) return;
        }
        if (written === 0 || written === NOT_A_PIPE) {
          // Full (the child has not read yet), or not there yet. No fd is held while waiting.
          await new Promise((resolve) => setTimeout(resolve, wait));
          wait = Math.min(RETRY_MAX_MS, wait * 2);
        } else wait = RETRY_FIRST_MS;
      }
    },
  });
}

/** {@link writeOnce}: fd 0 is not a pipe (not yet, or not any more). */
const NOT_A_PIPE = -1;
/** How long fd 0 may be something else before a write gives up. */
const NOT_A_PIPE_GRACE_MS = 2000;

/**
 * Writes what fits now; 0 when the pipe is full, NOT_A_PIPE when fd 0 is
 * not a pipe. Throws when the process or its pipe is gone.
 */
function writeOnce(target: { pid: number; identity: string | null }, bytes: Uint8Array): number {
  const c = libc();
  if (c === null) throw new Deno.errors.BrokenPipe("no FFI");
  const fd = c.symbols.open(
    cString(`/proc/${target.pid}/fd/0`),
    O_WRONLY | O_NONBLOCK | O_CLOEXEC,
  );
  if (fd < 0) {
    // Gone (ENOENT), or fd 0 is something we may not write (a read-only file).
    if (readLink(c, `/proc/${target.pid}/fd/0`) === null) {
      throw new Deno.errors.BrokenPipe(`process ${target.pid} has no stdin any more`);
    }
    return NOT_A_PIPE;
  }
  try {
    // What was opened, not what the path names now: no race with the child.
    const opened = readLink(c, `/proc/self/fd/${fd}`);
    if (opened === null || !opened.startsWith("pipe:")) return NOT_A_PIPE;
    target.identity ??= opened;
    if (opened !== target.identity) {
      throw new Deno.errors.BrokenPipe(
        `process ${target.pid}'s stdin is not the pipe it started with`,
      );
    }
    const n = Number(c.symbols.write(fd, bytes, BigInt(bytes.length)));
    return n < 0 ? 0 : n;
  } finally {
    c.symbols.close(fd);
  }
}
