/**
 * The few libc calls Deno has no API for, opened once by FFI: becoming a
 * child subreaper and collecting orphans (reaper.ts), sizing the pipes
 * of children's output (pipes.ts), reading /proc (proc_table.ts) and other
 * kernel files under /proc and /sys (kernel_files.ts), which Deno's own file
 * API refuses without --allow-all, marking inherited descriptors
 * close-on-exec (descriptors.ts), and writing to children's stdin through
 * /proc (stdin_writer.ts), and giving back the pages only start-up used
 * (resident_pages.ts), and reading children's output pipes with one epoll
 * for all of them (pipe_fds.ts, fd_poller.ts), and signalling process
 * groups (signals.ts), and raising the thread that sends a stop's signals
 * to real-time priority for that burst (realtime_burst.ts), and swapping the
 * state file into place (state_file.ts). (posix_spawn.ts
 * opens its own few on first use.) `null` where unavailable (no FFI permission, not
 * Linux/glibc): callers then do without.
 *
 * @module
 */

const SYMBOLS = {
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  waitid: { parameters: ["i32", "i32", "buffer", "i32"], result: "i32" },
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  open: { parameters: ["buffer", "i32"], result: "i32" },
  openat: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  mkdir: { parameters: ["buffer", "u32"], result: "i32" },
  rmdir: { parameters: ["buffer"], result: "i32" },
  // On a worker thread: removing a cgroup waits for an RCU grace period.
  rmdirInBackground: { name: "rmdir", parameters: ["buffer"], result: "i32", nonblocking: true },
  opendir: { parameters: ["buffer"], result: "pointer" },
  readdir: { parameters: ["pointer"], result: "pointer" },
  closedir: { parameters: ["pointer"], result: "i32" },
  // glibc 2.34+; without it descriptors.ts falls back to fcntl.
  close_range: { parameters: ["u32", "u32", "i32"], result: "i32", optional: true },
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  dup2: { parameters: ["i32", "i32"], result: "i32" },
  readlink: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  madvise: { parameters: ["pointer", "usize", "i32"], result: "i32" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  // On a worker thread: it blocks until one of the daemon's output pipes is readable.
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32", nonblocking: true },
  // With a timeout of 0, here: what came while the poller slept (fd_poller.ts).
  epoll_wait_now: {
    name: "epoll_wait",
    parameters: ["i32", "buffer", "i32", "i32"],
    result: "i32",
  },
  usleep: { parameters: ["u32"], result: "i32", nonblocking: true },
  fstat: { parameters: ["i32", "buffer"], result: "i32" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
  kill: { parameters: ["i32", "i32"], result: "i32" },
  sched_getscheduler: { parameters: ["i32"], result: "i32" },
  sched_setscheduler: { parameters: ["i32", "i32", "buffer"], result: "i32" },
  malloc_trim: { parameters: ["usize"], result: "i32", optional: true },
  // glibc 2.28+; without it a command's file is stat'ed through Deno (spawner.ts).
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32", optional: true },
  // glibc 2.28+; without it the state file is replaced by a plain rename.
  renameat2: {
    parameters: ["i32", "buffer", "i32", "buffer", "u32"],
    result: "i32",
    optional: true,
  },
} as const;

const encoder = new TextEncoder();

/** The directory argument of the *at(2) calls that means "relative to the working directory". */
export const AT_FDCWD = -100;

/** `text` as a NUL-terminated C string. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${text}\0`) as Uint8Array<ArrayBuffer>;
}

/** errno of the last failed call on this thread. */
export function lastErrno(c: Libc): number {
  const at = c.symbols.__errno_location();
  return at === null ? 0 : new Deno.UnsafePointerView(at).getInt32();
}

/** The errnos the daemon's libc calls meet (a spawn, a kill, a pipe read), by Linux's numbers. */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  E2BIG: 7,
  /** execve's "not an executable format": a script without its `#!` line. */
  ENOEXEC: 8,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EEXIST: 17,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ETXTBSY: 26,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ELOOP: 40,
  ELIBBAD: 80,
} as const;

const ERRNO_NAMES = new Map<number, string>(
  Object.entries(ERRNO).map(([name, errno]) => [errno, name]),
);

/** `ENOENT` for 2, as supervisord words it (`couldn't exec X: ENOENT`); the number itself for one not listed. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? String(errno);
}

/** The opened library. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>;

let opened: Libc | null | undefined;

/** libc, opened on first use; null when FFI is not possible here. */
export function libc(): Libc | null {
  if (opened !== undefined) return opened;
  opened = null;
  if (Deno.build.os !== "linux") return null;
  try {
    opened = Deno.dlopen("libc.so.6", SYMBOLS);
  } catch {
    // No --allow-ffi, or a libc by another name (musl): run without.
  }
  return opened;
}
