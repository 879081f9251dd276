/**
 * Sending one datagram to a unix socket (`/dev/log`). Deno has no stable
 * API for unix datagram sockets, so this goes through libc by FFI, as the
 * reaper does. The socket is non-blocking: a full receiver fails the send
 * instead of stalling taskmaster.
 *
 * @module
 */

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  strerror: { parameters: ["i32"], result: "pointer" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SUN_PATH_BYTES = 108;

let lib: Deno.DynamicLibrary<typeof SYMBOLS> | null | undefined;

function open(): Deno.DynamicLibrary<typeof SYMBOLS> {
  if (lib === undefined) {
    try {
      lib = Deno.build.os === "linux" ? Deno.dlopen("libc.so.6", SYMBOLS) : null;
    } catch {
      lib = null;
    }
  }
  if (lib === null) throw new Error("unix datagram sockets need FFI (libc) on Linux");
  return lib;
}

/** The `struct sockaddr_un` for `path`. */
function address(path: string): Uint8Array {
  const bytes = new TextEncoder().encode(path);
  if (bytes.length >= SUN_PATH_BYTES) throw new Error(`socket path too long: ${path}`);
  const addr = new Uint8Array(2 + SUN_PATH_BYTES);
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  addr.set(bytes, 2);
  return addr;
}

function lastError(l: Deno.DynamicLibrary<typeof SYMBOLS>): string {
  const at = l.symbols.__errno_location();
  const errno = at === null ? 0 : new Deno.UnsafePointerView(at).getInt32();
  const text = l.symbols.strerror(errno);
  return text === null ? `errno ${errno}` : new Deno.UnsafePointerView(text).getCString();
}

/** Sends `data` as one datagram to the unix socket at `path`; throws with strerror's text. */
export function sendUnixDatagram(path: string, data: Uint8Array): void {
  const l = open();
  const addr = address(path);
  const fd = l.symbols.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new Error(`socket: ${lastError(l)}`);
  try {
    const sent = l.symbols.sendto(fd, data, BigInt(data.length), 0, addr, addr.length);
    if (Number(sent) < 0) throw new Error(`${path}: ${lastError(l)}`);
  } finally {
    l.symbols.close(fd);
  }
}
