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

import type { DiscardedStreams } from "../config/discarded_streams.ts";
import { cString, ERRNO, lastErrno, type Libc, libc } from "./libc.ts";
import { readKernelFileAt } from "./kernel_files.ts";
import { nativeSpawner, refuseNativeSpawns } from "./native_spawn.ts";
import { pipeIdentity } from "./pipe_fds.ts";

/**
 * The spawning functions, bound on the first spawn: a daemon with no
 * program to start never binds them. Optional: without any of them the
 * daemon spawns through Deno.Command.
 */
const SPAWN_SYMBOLS = {
  pipe2: { parameters: ["buffer", "i32"], result: "i32", optional: true },
  posix_spawn: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
    optional: true,
  },
  posix_spawn_file_actions_init: { parameters: ["buffer"], result: "i32", optional: true },
  posix_spawn_file_actions_destroy: { parameters: ["buffer"], result: "i32", optional: true },
  posix_spawn_file_actions_adddup2: {
    parameters: ["buffer", "i32", "i32"],
    result: "i32",
    optional: true,
  },
  // glibc 2.29+.
  posix_spawn_file_actions_addchdir_np: {
    parameters: ["buffer", "buffer"],
    result: "i32",
    optional: true,
  },
  posix_spawnattr_init: { parameters: ["buffer"], result: "i32", optional: true },
  posix_spawnattr_setflags: { parameters: ["buffer", "i16"], result: "i32", optional: true },
  posix_spawnattr_setsigdefault: {
    parameters: ["buffer", "buffer"],
    result: "i32",
    optional: true,
  },
  posix_spawnattr_setsigmask: { parameters: ["buffer", "buffer"], result: "i32", optional: true },
  sigfillset: { parameters: ["buffer"], result: "i32", optional: true },
  sigemptyset: { parameters: ["buffer"], result: "i32", optional: true },
} as const;

type SpawnLibc = Deno.DynamicLibrary<typeof SPAWN_SYMBOLS>;

let spawnLibc: SpawnLibc | null | undefined;

/** The spawning functions, or null (no FFI, not Linux/glibc). */
function spawnFunctions(): SpawnLibc | null {
  if (spawnLibc !== undefined) return spawnLibc;
  spawnLibc = null;
  if (libc() === null) return null;
  try {
    spawnLibc = Deno.dlopen("libc.so.6", SPAWN_SYMBOLS);
  } catch {
    // A libc by another name: Deno.Command it is.
  }
  return spawnLibc;
}

const O_RDONLY = 0;
const O_RDWR = 2;
const O_WRONLY = 1;
const O_CLOEXEC = 0o2000000;
const F_DUPFD_CLOEXEC = 1030;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
/** Larger than glibc's posix_spawnattr_t (336 bytes) and posix_spawn_file_actions_t (80). */
const ATTR_SIZE = 1024;
const FILE_ACTIONS_SIZE = 256;
const SIGSET_SIZE = 128;

/** The C strings and vectors a native spawn was made from (kept when asked, for a restart by native code: native_restart.ts). */
export interface SpawnVectors {
  readonly path: Uint8Array<ArrayBuffer>;
  readonly argv: Uint8Array<ArrayBuffer>;
  readonly envp: Uint8Array<ArrayBuffer>;
  readonly cwd: Uint8Array<ArrayBuffer> | null;
  /** The cgroup directory, NUL-terminated; null: the daemon's own. */
  readonly cgroup: Uint8Array<ArrayBuffer> | null;
  readonly umask: number | null;
  readonly stdout: "pipe" | "null";
  readonly stderr: "pipe" | "null" | "stdout";
}

/** The daemon's ends of a child's pipes (close-on-exec; the output ends non-blocking). */
export interface PosixChild {
  readonly pid: number;
  /** The child's stdin pipe, `pipe:[inode]`; the daemon holds no end of it. */
  readonly stdin: string;
  /** Read end of the child's stdout (and stderr, when combined); null when discarded. */
  readonly stdout: number | null;
  /** Read end of the child's stderr; null when combined into stdout or discarded. */
  readonly stderr: number | null;
  /**
   * Its start time as /proc/PID/stat's field 22 gives it, when the boot clock
   * says so without a read of /proc (see {@link bootTick}); null otherwise.
   */
  readonly startTime: string | null;
  /** What the native code started it from, when asked to keep it (native_restart.ts). */
  readonly vectors?: SpawnVectors;
}

/** Why a spawn failed: the errno, and whether making the pipes or the exec failed. */
export interface PosixSpawnFailure {
  readonly ok: false;
  readonly errno: number;
  /**
   * `args`: a NUL byte in an argument, the environment or the directory
   * (errno EINVAL). `native`: the native code could not start it (a frozen
   * cgroup, one that could not be opened, clone3 refused before Linux 5.7);
   * the shim, which also makes the cgroup again, can. `fork`: the kernel
   * could not make a process (EAGAIN: a pids or process limit).
   */
  readonly during: "pipes" | "exec" | "args" | "native" | "fork";
}

/** A child, or why not. */
export type PosixSpawnResult =
  | { readonly ok: true; readonly child: PosixChild }
  | PosixSpawnFailure;

/** What one spawn needs; `env` is the child's whole environment. */
export interface PosixSpawnRequest {
  readonly path: string;
  /** argv, argv[0] included. */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string | null;
  /** stderr is the stdout pipe: one pipe, the program's order kept. */
  readonly combineOutput: boolean;
  /**
   * Streams nobody reads (discarded_streams.ts): the child writes them to
   * /dev/null itself, with no pipe for the daemon to read and drop.
   */
  readonly discard?: DiscardedStreams;
  /** The cgroup directory the child starts in (native_spawn.ts); null: the daemon's. */
  readonly cgroup?: string | null;
  readonly umask?: number | null;
  /** Keep what the native code started it from, for a restart by native code (native_restart.ts). */
  readonly keepVectors?: boolean;
}

/**
 * Whether a child can start here without a shell: `cwd` needs glibc 2.29's
 * addchdir; `native` (a cgroup or a umask to set) the native code (native_spawn.ts).
 */
export function posixSpawnAvailable(needs: { cwd: boolean; native?: boolean }): boolean {
  if (needs.native === true && nativeSpawner() === null) return false;
  const f = spawnFunctions();
  if (f === null) return false;
  const s = f.symbols;
  return s.pipe2 !== null && s.posix_spawn !== null && s.posix_spawn_file_actions_init !== null &&
    s.posix_spawn_file_actions_destroy !== null && s.posix_spawn_file_actions_adddup2 !== null &&
    (!needs.cwd || s.posix_spawn_file_actions_addchdir_np !== null) && spawnAttributes(f) !== null;
}

/** Starts `request.path` in a session of its own. Call only where {@link posixSpawnAvailable}. */
export function posixSpawn(request: PosixSpawnRequest): PosixSpawnResult {
  const c = libc()!;
  const s = c.symbols;
  const pipe2 = spawnFunctions()!.symbols.pipe2!;
  const environment = Object.entries(request.env).map(([k, v]) => `${k}=${v}`);
  // A C string ends at its first NUL: the rest would be dropped without a word.
  const texts = [request.path, request.cwd ?? "", ...request.argv, ...environment];
  if (texts.some((text) => text.includes("\0"))) {
    return { ok: false, errno: ERRNO.EINVAL, during: "args" };
  }
  const made: number[] = [];
  let spawned = false;
  try {
    const pipe = (): [number, number] | null => {
      const ends = new Int32Array(2);
      if (pipe2(new Uint8Array(ends.buffer), O_CLOEXEC) !== 0) return null;
      made.push(ends[0]!, ends[1]!);
      return [ends[0]!, ends[1]!];
    };
    const stdinPipe = pipe();
    // The child's fd 0 is its stdin pipe opened read-write: the child is then a
    // writer of its own stdin and never reads EOF, with no end of it held by
    // the daemon (stdin_writer.ts writes through /proc when asked).
    const stdin = stdinPipe === null
      ? -1
      : s.open(cString(`/proc/self/fd/${stdinPipe[0]}`), O_RDWR | O_CLOEXEC);
    if (stdin >= 0) made.push(stdin);
    // A discarded stream's is /dev/null: the child's end only (no read end, -1),
    // closed here after the spawn like the pipes' child ends. Without a
    // /dev/null (a bare chroot), a pipe as before.
    const output = (discarded = false): [number, number] | null => {
      const fd = discarded ? s.open(cString("/dev/null"), O_WRONLY | O_CLOEXEC) : -1;
      if (fd < 0) return pipe();
      made.push(fd);
      return [-1, fd];
    };
    const stdout = stdin < 0 ? null : output(request.discard?.stdout);
    const stderr = stdout === null || request.combineOutput
      ? null
      : output(request.discard?.stderr);
    if (stdout === null || (stderr === null && !request.combineOutput)) {
      return { ok: false, errno: lastErrno(c), during: "pipes" };
    }
    for (const end of stderr === null ? [stdout[0]] : [stdout[0], stderr[0]]) {
      if (end < 0) continue; // discarded
      // A pipe made just now has no status flag set (O_RDONLY is its access
      // mode, which F_SETFL leaves alone): no F_GETFL first, a system call less.
      s.fcntl(end, F_SETFL, O_NONBLOCK);
    }
    // A descriptor below 3 (the daemon's own 0–2 closed) would be clobbered by an earlier dup2.
    const childEnds: number[] = [];
    for (const fd of [stdin, stdout[1], (stderr ?? stdout)[1]]) {
      const above = fd > 2 ? fd : s.fcntl(fd, F_DUPFD_CLOEXEC, 3);
      if (above < 0) return { ok: false, errno: lastErrno(c), during: "pipes" };
      if (above !== fd) made.push(above);
      childEnds.push(above);
    }
    const cgroup = request.cgroup ?? null;
    const umask = request.umask ?? null;
    const tickBefore = bootTick(c);
    // Vectors to keep are the native code's: it also starts children with no cgroup or umask.
    const natively = cgroup !== null || umask !== null ||
      (request.keepVectors === true && nativeSpawner() !== null);
    const started: NativeStart | PosixSpawnFailure = natively
      ? spawnNatively(request, environment, childEnds, cgroup, umask)
      : spawnWithGlibc(request, environment, childEnds);
    if (!started.ok) return started;
    const tickAfter = bootTick(c);
    spawned = true;
    const kept = started.vectors;
    // After the spawn, not before (an fstat less ahead of a restart's exec).
    const stdinName = stdinPipeName(pipeIdentity(stdin)?.ino ?? 0n);
    for (const fd of made) {
      if (fd !== stdout[0] && fd !== stderr?.[0]) s.close(fd);
    }
    return {
      ok: true,
      child: {
        pid: started.pid,
        stdin: stdinName,
        stdout: readEnd(stdout),
        stderr: stderr === null ? null : readEnd(stderr),
        startTime: tickBefore !== null && tickBefore === tickAfter ? String(tickBefore) : null,
        ...(kept === undefined ? {} : {
          vectors: {
            ...kept,
            stdout: stdout[0] < 0 ? "null" : "pipe",
            stderr: request.combineOutput ? "stdout" : stderr![0] < 0 ? "null" : "pipe",
          },
        }),
      },
    };
  } finally {
    if (!spawned) { for (const fd of made) s.close(fd); }
  }
}

/**
 * A child's stdin pipe as /proc names it, `pipe:[inode]`. Joined, not a
 * template literal: one flat string (32 B), not a tree of three (88 B),
 * and every running instance keeps it.
 */
export function stdinPipeName(inode: bigint): string {
  return ["pipe:[", inode, "]"].join("");
}

/** The daemon's end of a child's output: none for a stream sent to /dev/null. */
function readEnd(ends: [number, number]): number | null {
  return ends[0] < 0 ? null : ends[0];
}

/** CLOCK_BOOTTIME of clock_gettime(2). */
const CLOCK_BOOTTIME = 7;
/** USER_HZ: the clock ticks of /proc/PID/stat, 100 a second on x86_64 and arm64. */
const TICKS_PER_SECOND = 100;
const bootClock = new BigInt64Array(2);
const bootClockBytes = new Uint8Array(bootClock.buffer);
const hundredTicksASecond = Deno.build.arch === "x86_64" || Deno.build.arch === "aarch64";

/**
 * The boot clock in /proc/PID/stat's ticks. The kernel stamps a child's start
 * time with this clock when it clones it (`start_boottime`, shown as
 * nanoseconds / 10^7, in the reader's time namespace as clock_gettime is):
 * when the ticks before and after a spawn are equal, that is the child's
 * start time, and no read of /proc is needed. That read waited for the child
 * just exec'ed: 0.02 ms a spawn with 500 programs, 0.27 ms with 5,000, 1.4 s
 * of a launch of 5,000 (issue 17). Null where USER_HZ may differ.
 */
function bootTick(c: Libc): number | null {
  if (!hundredTicksASecond || c.symbols.clock_gettime(CLOCK_BOOTTIME, bootClockBytes) !== 0) {
    return null;
  }
  const [seconds, nanoseconds] = bootClock;
  return Number(seconds) * TICKS_PER_SECOND +
    Math.floor(Number(nanoseconds) / (1e9 / TICKS_PER_SECOND));
}

/** glibc's posix_spawn, with `childEnds` dup2'ed onto the child's fds 0–2. */
function spawnWithGlibc(
  request: PosixSpawnRequest,
  environment: readonly string[],
  childEnds: readonly number[],
): { ok: true; pid: number } | PosixSpawnFailure {
  const f = spawnFunctions()!;
  const p = f.symbols;
  const actions = new Uint8Array(FILE_ACTIONS_SIZE);
  let error = p.posix_spawn_file_actions_init!(actions);
  if (error !== 0) return { ok: false, errno: error, during: "pipes" };
  try {
    for (let target = 0; error === 0 && target < 3; target++) {
      error = p.posix_spawn_file_actions_adddup2!(actions, childEnds[target]!, target);
    }
    if (error === 0 && request.cwd !== null) {
      error = p.posix_spawn_file_actions_addchdir_np!(actions, cString(request.cwd));
    }
    if (error !== 0) return { ok: false, errno: error, during: "pipes" };
    const pid = new Int32Array(1);
    error = p.posix_spawn!(
      new Uint8Array(pid.buffer),
      cString(request.path),
      actions,
      spawnAttributes(f)!,
      cStringVector(request.argv),
      cStringVector(environment),
    );
    if (error !== 0) return { ok: false, errno: error, during: "exec" };
    return { ok: true, pid: pid[0]! };
  } finally {
    p.posix_spawn_file_actions_destroy!(actions);
  }
}

const O_DIRECTORY = 0o200000;

/** A started child; with what the native code started it from, when asked to keep it. */
interface NativeStart {
  readonly ok: true;
  readonly pid: number;
  readonly vectors?: Omit<SpawnVectors, "stdout" | "stderr">;
}

/** The native code's spawn (native_spawn.ts): into `cgroup`, with `umask`. */
function spawnNatively(
  request: PosixSpawnRequest,
  environment: readonly string[],
  childEnds: readonly number[],
  cgroup: string | null,
  umask: number | null,
): NativeStart | PosixSpawnFailure {
  const c = libc()!;
  const cgroupFd = cgroup === null
    ? null
    : c.symbols.open(cString(cgroup), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgroupFd !== null && cgroupFd < 0) {
    return { ok: false, errno: lastErrno(c), during: "native" };
  }
  try {
    // The daemon's thread waits for the exec: a child born frozen would hold it
    // (and the whole event loop) until someone thaws the cgroup. The shim waits instead.
    const events = cgroupFd === null ? null : readKernelFileAt(cgroupFd, "cgroup.events");
    if (events !== null && /^frozen 1$/m.test(events)) {
      return { ok: false, errno: 0, during: "native" };
    }
    const vectors = {
      path: cString(request.path),
      argv: cStringVector(request.argv),
      envp: cStringVector(environment),
      cwd: request.cwd === null ? null : cString(request.cwd),
    };
    const started = nativeSpawner()!.spawn({
      ...vectors,
      fds: [childEnds[0]!, childEnds[1]!, childEnds[2]!],
      cgroupFd,
      umask,
    });
    if (started.ok) {
      if (request.keepVectors !== true) return started;
      const kept = { ...vectors, cgroup: cgroup === null ? null : cString(cgroup), umask };
      return { ok: true, pid: started.pid, vectors: kept };
    }
    if (started.during === "exec") return { ok: false, errno: started.errno, during: "exec" };
    if (started.errno === ERRNO.ENOSYS || started.errno === ERRNO.EPERM) refuseNativeSpawns();
    // A limit reached (EAGAIN, ENOMEM) is the spawn's error: the shim would meet it too,
    // or slip past the cgroup's pids.max by entering it afterwards.
    const limit = started.errno === ERRNO.EAGAIN || started.errno === ERRNO.ENOMEM;
    return { ok: false, errno: started.errno, during: limit ? "fork" : "native" };
  } finally {
    if (cgroupFd !== null) c.symbols.close(cgroupFd);
  }
}

let attributes: Uint8Array<ArrayBuffer> | null | undefined;

/**
 * The same for every child: a new session, default signal actions, nothing
 * blocked; null if this libc refuses any of it (Deno.Command is used then).
 */
function spawnAttributes(f: SpawnLibc): Uint8Array<ArrayBuffer> | null {
  if (attributes !== undefined) return attributes;
  attributes = null;
  const s = f.symbols;
  if (
    s.posix_spawnattr_init === null || s.posix_spawnattr_setflags === null ||
    s.posix_spawnattr_setsigdefault === null || s.posix_spawnattr_setsigmask === null ||
    s.sigfillset === null || s.sigemptyset === null
  ) return null;
  const attr = new Uint8Array(ATTR_SIZE);
  const all = new Uint8Array(SIGSET_SIZE);
  const none = new Uint8Array(SIGSET_SIZE);
  const failed = s.posix_spawnattr_init(attr) !== 0 || s.sigfillset(all) !== 0 ||
    s.sigemptyset(none) !== 0 || s.posix_spawnattr_setsigdefault(attr, all) !== 0 ||
    s.posix_spawnattr_setsigmask(attr, none) !== 0 ||
    s.posix_spawnattr_setflags(
        attr,
        POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK,
      ) !== 0;
  return attributes = failed ? null : attr;
}

const encoder = new TextEncoder();

/**
 * A NULL-terminated `char *[]` followed by its strings, in one buffer: the
 * buffer passed to C is the one that keeps the strings alive.
 */
function cStringVector(list: readonly string[]): Uint8Array<ArrayBuffer> {
  const strings = encoder.encode(list.map((text) => `${text}\0`).join(""));
  const table = 8 * (list.length + 1);
  const vector = new Uint8Array(table + strings.length);
  vector.set(strings, table);
  const pointers = new BigUint64Array(vector.buffer, 0, list.length + 1);
  const base = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(vector))) + BigInt(table);
  let next = 0;
  let start = 0;
  for (let at = 0; at < strings.length; at++) {
    if (strings[at] !== 0) continue;
    pointers[next++] = base + BigInt(start);
    start = at + 1;
  }
  return vector;
}
