/**
 * Opening one of taskmaster's own shared objects (native/*.c, compiled by
 * native/build.sh into base64 TypeScript modules): written into a memfd and
 * opened from there, so the code ships inside the one executable with no
 * file to install or clean up. x86_64 Linux only, as the code is.
 *
 * @module
 */

import { cString, libc } from "./libc.ts";

const MEMFD_SYMBOLS = {
  memfd_create: { parameters: ["buffer", "u32"], result: "i32", optional: true },
} as const;
const MFD_CLOEXEC = 1;
/** Linux 6.3+: executable whatever `vm.memfd_noexec` says (1: not by default). */
const MFD_EXEC = 0x10;

/**
 * The object in `base64` (ELF x86_64) opened with `symbols`; null on another
 * system or architecture, without FFI, or when the memfd or the load is
 * refused (before Linux 3.17, a sysctl forbidding executable memfds).
 */
export function openSharedObject<S extends Deno.ForeignLibraryInterface>(
  name: string,
  base64: string,
  symbols: S,
): Deno.DynamicLibrary<S> | null {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") return null;
  const c = libc();
  if (c === null) return null;
  let memfd: Deno.DynamicLibrary<typeof MEMFD_SYMBOLS> | null = null;
  let fd = -1;
  try {
    memfd = Deno.dlopen("libc.so.6", MEMFD_SYMBOLS);
    const create = memfd.symbols.memfd_create;
    if (create === null) return null;
    const memfdName = cString(name);
    // Before 6.3 the flag is unknown (EINVAL): every memfd is executable there.
    fd = create(memfdName, MFD_CLOEXEC | MFD_EXEC);
    if (fd < 0) fd = create(memfdName, MFD_CLOEXEC);
    if (fd < 0) return null;
    const code = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
    if (Number(c.symbols.write(fd, code, BigInt(code.length))) !== code.length) return null;
    const library = Deno.dlopen(`/proc/self/fd/${fd}`, symbols);
    // The memfd stays open (close-on-exec) for the life of the daemon: dlopen
    // takes a path it has loaded before for the same library, and a closed
    // memfd's number goes to the next one, which would then get this object.
    fd = -1;
    return library;
  } catch {
    return null;
  } finally {
    if (fd >= 0) c.symbols.close(fd);
    memfd?.close();
  }
}
