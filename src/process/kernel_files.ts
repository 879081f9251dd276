/**
 * Small files of the kernel's pseudo file systems (/proc, /sys/fs/cgroup),
 * read and written through libc: Deno 2.9.6 opens them only with
 * --allow-all, which the daemon does not run with. Every function answers
 * null/false where FFI is not available.
 *
 * @module
 */

import { AT_FDCWD, cString, ERRNO, lastErrno, type Libc, libc } from "./libc.ts";

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_CLOEXEC = 0o2000000;
/** d_type of a directory in struct dirent. */
const DT_DIR = 4;
/** Offsets in glibc's 64-bit struct dirent: d_type, then d_name. */
const D_TYPE_OFFSET = 18;
const D_NAME_OFFSET = 19;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const buffer = new Uint8Array(64 * 1024);

/**
 * `read` applied to `path` (relative to the directory open as `dir`, if
 * not absolute) open read-only; null when it cannot be opened (or no FFI).
 */
function withFileOpen<T>(
  path: string,
  read: (c: Libc, fd: number) => T | null,
  dir = AT_FDCWD,
): T | null {
  const c = libc();
  if (c === null) return null;
  const fd = c.symbols.openat(dir, cString(path), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return null;
  try {
    return read(c, fd);
  } finally {
    c.symbols.close(fd);
  }
}

/**
 * A read shorter than this ended a file of short lines (cgroup.procs). The
 * kernel's seq_file fills a read with whole lines until its page-sized (or
 * larger) buffer cannot take the next one, so only the end leaves a read
 * this far short: no second read(2) to learn that there is nothing more.
 */
const SHORT_LINES_END_BELOW = 2048;

/**
 * The whole text of a small kernel file, or null when it cannot be read.
 * `shortLines`: its lines are a few bytes each (see SHORT_LINES_END_BELOW).
 */
export function readKernelFile(
  path: string,
  { shortLines = false }: { shortLines?: boolean } = {},
): string | null {
  return withFileOpen(path, (c, fd) => {
    let text = "";
    for (;;) {
      const n = Number(c.symbols.read(fd, buffer, BigInt(buffer.byteLength)));
      if (n < 0) return null;
      if (n === 0) return text;
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
      if (shortLines && n < SHORT_LINES_END_BELOW) return text;
    }
  });
}

/**
 * The first read(2) of `name` in the directory open as `dir` (a cgroup's
 * cgroup.events: one short read holds it all), or null when unreadable or
 * empty. Relative to a descriptor the caller holds anyway: no walk from the root.
 */
export function readKernelFileAt(dir: number, name: string): string | null {
  const bytes = readKernelBytes(name, dir);
  return bytes === null ? null : decoder.decode(bytes);
}

/**
 * What one read(2) of a kernel file gives (a /proc/PID/stat line: the
 * kernel writes it whole), as bytes in a buffer every call shares: valid
 * until the next read of this module. Null when unreadable or empty. For
 * callers that parse the bytes in place, thousands of times a status call.
 */
export function readKernelBytes(path: string, dir = AT_FDCWD): Uint8Array | null {
  return withFileOpen(path, (c, fd) => {
    const n = Number(c.symbols.read(fd, buffer, BigInt(buffer.byteLength)));
    return n <= 0 ? null : buffer.subarray(0, n);
  }, dir);
}

/** Writes `text` in one write(2), as kernel files expect; false when refused. */
export function writeKernelFile(path: string, text: string): boolean {
  const c = libc();
  if (c === null) return false;
  const fd = c.symbols.open(cString(path), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  try {
    const bytes = encoder.encode(text);
    return Number(c.symbols.write(fd, bytes, BigInt(bytes.byteLength))) === bytes.byteLength;
  } finally {
    c.symbols.close(fd);
  }
}

const STATX_TYPE = 1;
const STATX_MODE = 2;
/** `struct statx` is 256 bytes; its `stx_mode` (u16) is at byte 28. */
const statxBuffer = new Uint8Array(256);
const statxView = new DataView(statxBuffer.buffer);

/**
 * `path`'s st_mode (symbolic links followed), or null when it cannot be
 * stat'ed; undefined without statx(2) through FFI. One system call and no
 * Deno.FileInfo (twenty fields, four Dates) for a spawn's check of its
 * command (~0.04 ms of a restart).
 */
export function fileMode(path: string): number | null | undefined {
  const c = libc();
  const statx = statxRefused ? null : c?.symbols.statx ?? null;
  if (statx === null) return undefined;
  if (statx(AT_FDCWD, cString(path), 0, STATX_TYPE | STATX_MODE, statxBuffer) !== 0) {
    const errno = lastErrno(c!);
    // A kernel before 4.11, or a seccomp filter that refuses statx: Deno's stat from then on.
    if (errno !== ERRNO.ENOSYS && errno !== ERRNO.EPERM) return null;
    statxRefused = true;
    return undefined;
  }
  if ((statxView.getUint32(0, true) & (STATX_TYPE | STATX_MODE)) !== (STATX_TYPE | STATX_MODE)) {
    return undefined;
  }
  return statxView.getUint16(28, true);
}

let statxRefused = false;

/** mkdir(2); true when it made the directory. */
export function makeDirectory(path: string): boolean {
  const c = libc();
  return c !== null && c.symbols.mkdir(cString(path), 0o755) === 0;
}

/** mkdir(2); true when it made the directory or something of that name was there (EEXIST). */
export function madeOrThere(path: string): boolean {
  const c = libc();
  if (c === null) return false;
  return c.symbols.mkdir(cString(path), 0o755) === 0 || lastErrno(c) === ERRNO.EEXIST;
}

/** rmdir(2); true when it removed the directory. */
export function removeDirectory(path: string): boolean {
  const c = libc();
  return c !== null && c.symbols.rmdir(cString(path)) === 0;
}

/** rmdir(2) on a worker thread (the event loop never waits for the kernel); true when removed. */
export async function removeDirectoryInBackground(path: string): Promise<boolean> {
  const c = libc();
  return c !== null && await c.symbols.rmdirInBackground(cString(path)) === 0;
}

/** Names of the subdirectories of `path` (empty when it cannot be listed). */
export function subdirectories(path: string): string[] {
  const c = libc();
  if (c === null) return [];
  const dir = c.symbols.opendir(cString(path));
  if (dir === null) return [];
  const names: string[] = [];
  try {
    for (;;) {
      const entry = c.symbols.readdir(dir);
      if (entry === null) return names;
      const view = new Deno.UnsafePointerView(entry);
      if (view.getUint8(D_TYPE_OFFSET) !== DT_DIR) continue;
      const name = view.getCString(D_NAME_OFFSET);
      if (name !== "." && name !== "..") names.push(name);
    }
  } finally {
    c.symbols.closedir(dir);
  }
}

/**
 * The start time of process `pid` (field 22 of /proc/PID/stat, in clock
 * ticks since boot), or null when it is gone. With the pid it names one
 * process for good: a reused pid has a later start time.
 */
export function processStartTime(pid: number): string | null {
  const stat = readKernelFile(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // Field 2 (comm) may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state), so field 22 is fields[19].
  return fields[19] ?? null;
}

/** Whether `pid` is a live process (a zombie counts as gone). */
export function processRunning(pid: number): boolean {
  const stat = readKernelFile(`/proc/${pid}/stat`);
  if (stat === null) return false;
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}
