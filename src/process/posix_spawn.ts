/**
 * Starting a child with glibc's `posix_spawn`, by FFI, instead of
 * `Deno.Command` (issue 17). Two costs of Deno's way go:
 *
 * - **The fork.** A child in its own session (`detached: true`) makes Rust
 *   run `setsid` between fork and exec, so it forks the whole daemon: 6–15 ms
 *   per spawn, growing with the daemon's memory. `posix_spawn` with
 *   `POSIX_SPAWN_SETSID` makes the session in a `vfork`-style clone that
 *   copies no page tables: ~0.4 ms.
 * - **Deno's child and pipe resources.** ~16 KB of daemon memory per child
 *   (a `ChildProcess`, three pipe resources and their streams), where the
 *   pipes made here are three descriptors of the daemon's own.
 *
 * The child's ends are dup2'ed onto its fds 0, 1 and 2; every descriptor of
 * the daemon is close-on-exec (descriptors.ts), these pipes included. Every
 * signal is reset to its default action and none is blocked, as Rust's
 * `Command` does (Deno ignores SIGPIPE; an ignored signal would otherwise
 * stay ignored across exec). glibc leaves its two internal signals (32 and
 * 33, below SIGRTMIN) ignored in every posix_spawn child, Rust's included.
 *
 * @module
 */

import { lastErrno, type Libc, libc } from "./libc.ts";
import { pipeIdentity } from "./pipe_fds.ts";

const O_RDWR = 2;
const O_CLOEXEC = 0o2000000;
const O_NONBLOCK = 0o4000;
const F_GETFL = 3;
const F_SETFL = 4;
const F_DUPFD_CLOEXEC = 1030;
const F_SETPIPE_SZ = 1031;
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
/** Larger than glibc's posix_spawnattr_t (336 bytes) and posix_spawn_file_actions_t (80). */
const ATTR_SIZE = 1024;
const FILE_ACTIONS_SIZE = 256;
const SIGSET_SIZE = 128;
/** execve's "not an executable format": a script without its `#!` line. */
export const ENOEXEC = 8;

/** The daemon's ends of a child's pipes (close-on-exec; the output ends non-blocking). */
export interface PosixChild {
  readonly pid: number;
  /** The child's stdin pipe, `pipe:[inode]`; the daemon holds no end of it. */
  readonly stdin: string;
  /** Read end of the child's stdout (and stderr, when combined). */
  readonly stdout: number;
  /** Read end of the child's stderr; null when combined into stdout. */
  readonly stderr: number | null;
}

/** What went wrong, in Rust's wording (`… (os error N)`), so EMFILE reads as it did. */
export type PosixSpawnResult =
  | { readonly ok: true; readonly child: PosixChild }
  | { readonly ok: false; readonly message: string; readonly errno?: number };

/** What one spawn needs; `env` is the child's whole environment. */
export interface PosixSpawnRequest {
  readonly path: string;
  /** argv, argv[0] included. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string | null;
  /** stderr is the stdout pipe: one pipe, the program's order kept. */
  readonly combineOutput: boolean;
  /** Capacity asked for the output pipes (fails harmlessly above the system's limit). */
  readonly pipeSize: number;
}

/** Whether this libc can spawn here; `cwd` needs glibc 2.29's addchdir. */
export function posixSpawnAvailable(withCwd: boolean): boolean {
  const c = libc();
  if (c === null) return false;
  const s = c.symbols;
  return s.pipe2 !== null && s.posix_spawn !== null && s.posix_spawn_file_actions_init !== null &&
    s.posix_spawn_file_actions_destroy !== null && s.posix_spawn_file_actions_adddup2 !== null &&
    s.posix_spawnattr_init !== null && s.posix_spawnattr_setflags !== null &&
    s.posix_spawnattr_setsigdefault !== null && s.posix_spawnattr_setsigmask !== null &&
    s.sigfillset !== null && s.sigemptyset !== null &&
    (!withCwd || s.posix_spawn_file_actions_addchdir_np !== null);
}

/** Starts `request.path` in a session of its own. Call only where {@link posixSpawnAvailable}. */
export function posixSpawn(request: PosixSpawnRequest): PosixSpawnResult {
  const c = libc()!;
  const s = c.symbols;
  const texts = [
    request.path,
    ...request.argv,
    request.cwd ?? "",
    ...Object.entries(request.env).flat(),
  ];
  // A C string ends at its first NUL: the rest would be dropped without a word.
  if (texts.some((text) => text.includes("\0"))) {
    return { ok: false, message: "nul byte found in provided data" };
  }
  const made: number[] = [];
  const closeAll = () => {
    for (const fd of made) s.close(fd);
  };
  const pipe = (): [number, number] | null => {
    const ends = new Int32Array(2);
    if (s.pipe2!(new Uint8Array(ends.buffer), O_CLOEXEC) !== 0) return null;
    made.push(ends[0]!, ends[1]!);
    return [ends[0]!, ends[1]!];
  };
  const stdinPipe = pipe();
  // The child's fd 0 is its stdin pipe opened read-write: the child is then a
  // writer of its own stdin and never reads EOF, with no end of it held by
  // the daemon (stdin_writer.ts writes through /proc when asked).
  const stdin = stdinPipe === null ? -1 : s.open(
    cString(`/proc/self/fd/${stdinPipe[0]}`),
    O_RDWR | O_CLOEXEC,
  );
  if (stdin >= 0) made.push(stdin);
  const stdout = stdin < 0 ? null : pipe();
  const stderr = stdout === null || request.combineOutput ? null : pipe();
  if (stdout === null || (stderr === null && !request.combineOutput)) {
    const message = osError(c, lastErrno(c));
    closeAll();
    return { ok: false, message };
  }
  const stdinName = `pipe:[${pipeIdentity(stdin)?.ino ?? 0n}]`;
  for (const end of stderr === null ? [stdout[0]] : [stdout[0], stderr[0]]) {
    s.fcntl(end, F_SETPIPE_SZ, request.pipeSize);
    s.fcntl(end, F_SETFL, s.fcntl(end, F_GETFL, 0) | O_NONBLOCK);
  }
  const actions = new Uint8Array(FILE_ACTIONS_SIZE);
  s.posix_spawn_file_actions_init!(actions);
  try {
    // A descriptor below 3 (the daemon's own 0–2 closed) would be clobbered by an earlier dup2.
    const childEnds = [stdin, stdout[1], (stderr ?? stdout)[1]].map((fd) =>
      aboveStdio(c, fd, made)
    );
    childEnds.forEach((fd, target) => s.posix_spawn_file_actions_adddup2!(actions, fd, target));
    if (request.cwd !== null) {
      s.posix_spawn_file_actions_addchdir_np!(actions, cString(request.cwd));
    }
    const argv = cStringArray(request.argv);
    const envp = cStringArray(Object.entries(request.env).map(([k, v]) => `${k}=${v}`));
    const pid = new Int32Array(1);
    const error = s.posix_spawn!(
      new Uint8Array(pid.buffer),
      cString(request.path),
      actions,
      spawnAttributes(c),
      argv.pointers,
      envp.pointers,
    );
    if (error !== 0) {
      closeAll();
      return { ok: false, message: osError(c, error), errno: error };
    }
    for (const fd of made) {
      if (fd !== stdout[0] && fd !== stderr?.[0]) s.close(fd);
    }
    return {
      ok: true,
      child: { pid: pid[0]!, stdin: stdinName, stdout: stdout[0], stderr: stderr?.[0] ?? null },
    };
  } finally {
    s.posix_spawn_file_actions_destroy!(actions);
  }
}

/** `fd`, or a close-on-exec duplicate of it at 3 or above (noted in `made`, to be closed). */
function aboveStdio(c: Libc, fd: number, made: number[]): number {
  if (fd > 2) return fd;
  const copy = c.symbols.fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) return fd;
  made.push(copy);
  return copy;
}

let attributes: Uint8Array<ArrayBuffer> | null = null;

/** The same for every child: a new session, default signal actions, nothing blocked. */
function spawnAttributes(c: Libc): Uint8Array<ArrayBuffer> {
  if (attributes !== null) return attributes;
  const s = c.symbols;
  const attr = new Uint8Array(ATTR_SIZE);
  const all = new Uint8Array(SIGSET_SIZE);
  const none = new Uint8Array(SIGSET_SIZE);
  s.posix_spawnattr_init!(attr);
  s.sigfillset!(all);
  s.sigemptyset!(none);
  s.posix_spawnattr_setsigdefault!(attr, all);
  s.posix_spawnattr_setsigmask!(attr, none);
  s.posix_spawnattr_setflags!(
    attr,
    POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK,
  );
  return attributes = attr;
}

const encoder = new TextEncoder();

function cString(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${text}\0`) as Uint8Array<ArrayBuffer>;
}

/**
 * A NULL-terminated `char *[]` over one buffer of the strings. The strings'
 * buffer is returned with it: the pointers are only good while it lives.
 */
function cStringArray(
  list: readonly string[],
): { pointers: Uint8Array<ArrayBuffer>; strings: Uint8Array<ArrayBuffer> } {
  const strings = cString(list.join("\0"));
  const pointers = new BigUint64Array(list.length + 1);
  if (list.length > 0) {
    const base = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(strings)));
    let next = 0;
    pointers[next++] = base;
    for (let at = 0; next < list.length; at++) {
      if (strings[at] === 0) pointers[next++] = base + BigInt(at + 1);
    }
  }
  return { pointers: new Uint8Array(pointers.buffer), strings };
}

function osError(c: Libc, errno: number): string {
  const at = c.symbols.strerror === null ? null : c.symbols.strerror(errno);
  const text = at === null ? `errno ${errno}` : Deno.UnsafePointerView.getCString(at);
  return `${text} (os error ${errno})`;
}
