/**
 * Starting a child inside its cgroup, with a small piece of native code of
 * taskmaster's own (native/spawn_into_cgroup.c) where glibc cannot (issue 17).
 *
 * Entering a cgroup after the start (a write to `cgroup.procs`, which the
 * `sh` shim did before exec'ing the program) waits for an RCU grace period
 * on a stock kernel: 7 ms of the 7.7 ms a restart took here, against 3.3 ms
 * without a cgroup. `clone3`'s `CLONE_INTO_CGROUP` (Linux 5.7) makes the
 * child in its cgroup, with no migration; glibc offers it from 2.41 only
 * (`posix_spawnattr_setcgroup_np`), and a clone cannot be made from
 * JavaScript. The code also sets the umask, the other thing only the shim
 * could set.
 *
 * The shared object (1.9 KB, no libc, nothing for the loader to bind) is
 * opened (shared_object.ts) on the first spawn that needs it. x86_64 only; elsewhere, or when the memfd or the load is refused,
 * {@link nativeSpawner} is null and the shim stays.
 *
 * @module
 */

import { openSharedObject } from "./shared_object.ts";
import { SHARED_OBJECT_X86_64 } from "./native_spawn_code.ts";

/**
 * `tm_spawn(request)`. The four buffers whose addresses the request holds
 * are passed too (and ignored by C: extra register arguments): that keeps
 * them alive, to V8, until the call returns.
 */
export const SPAWN_SYMBOLS = {
  tm_spawn: { parameters: ["buffer", "buffer", "buffer", "buffer", "buffer"], result: "i64" },
} as const;
/** Enough for the child's few frames before exec (it uses under 1 KB). */
const STACK_SIZE = 32 * 1024;
/** `struct request` of the C source. */
const REQUEST_SIZE = 72;

/** What one spawn of the native code needs; pointers stay valid for the call. */
export interface NativeSpawnRequest {
  readonly path: Uint8Array<ArrayBuffer>;
  readonly argv: Uint8Array<ArrayBuffer>;
  readonly envp: Uint8Array<ArrayBuffer>;
  readonly cwd: Uint8Array<ArrayBuffer> | null;
  /** The child's fds 0, 1 and 2, each above 2. */
  readonly fds: readonly [number, number, number];
  /** An open descriptor of the cgroup directory; null: the daemon's own cgroup. */
  readonly cgroupFd: number | null;
  readonly umask: number | null;
}

/** The pid; or the errno of the child's exec (the child is collected); or of clone3 itself. */
export type NativeSpawnResult =
  | { readonly ok: true; readonly pid: number }
  | { readonly ok: false; readonly errno: number; readonly during: "exec" | "clone" };

/** The loaded code. */
export interface NativeSpawner {
  spawn(request: NativeSpawnRequest): NativeSpawnResult;
  /** Children it started (tests tell its spawns from the shim's by it). */
  readonly spawned: number;
}

let loaded: NativeSpawner | null | undefined;

/** For the rest of the run: clone3 is refused here (ENOSYS, a seccomp filter's EPERM). */
export function refuseNativeSpawns(): void {
  loaded = null;
}

/** The native spawner, loaded on first use; null where it cannot run. */
export function nativeSpawner(): NativeSpawner | null {
  if (loaded !== undefined) return loaded;
  const library = openSharedObject("taskmaster-spawn", SHARED_OBJECT_X86_64, SPAWN_SYMBOLS);
  // Elsewhere, or where the load is refused: the shim stays.
  loaded = library === null ? null : new LoadedSpawner(library);
  return loaded;
}

class LoadedSpawner implements NativeSpawner {
  readonly #library: Deno.DynamicLibrary<typeof SPAWN_SYMBOLS>;
  /** The child's stack, used by one spawn at a time (spawns are synchronous). */
  readonly #stack = new Uint8Array(STACK_SIZE);
  readonly #request = new DataView(new ArrayBuffer(REQUEST_SIZE));
  #spawned = 0;

  get spawned(): number {
    return this.#spawned;
  }

  constructor(library: Deno.DynamicLibrary<typeof SPAWN_SYMBOLS>) {
    this.#library = library;
  }

  spawn(request: NativeSpawnRequest): NativeSpawnResult {
    const r = this.#request;
    const pointer = (buffer: Uint8Array<ArrayBuffer> | null) =>
      buffer === null ? 0n : BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer)));
    r.setBigUint64(0, pointer(request.path), true);
    r.setBigUint64(8, pointer(request.argv), true);
    r.setBigUint64(16, pointer(request.envp), true);
    r.setBigUint64(24, pointer(request.cwd), true);
    r.setBigUint64(32, pointer(this.#stack), true);
    r.setBigUint64(40, BigInt(STACK_SIZE), true);
    request.fds.forEach((fd, i) => r.setInt32(48 + 4 * i, fd, true));
    r.setInt32(60, request.cgroupFd ?? -1, true);
    r.setInt32(64, request.umask ?? -1, true);
    r.setInt32(68, 0, true);
    const result = Number(
      this.#library.symbols.tm_spawn(
        new Uint8Array(r.buffer),
        request.path,
        request.argv,
        request.envp,
        request.cwd,
      ),
    );
    if (result > 0) {
      this.#spawned++;
      return { ok: true, pid: result };
    }
    if (result === 0) return { ok: false, errno: r.getInt32(68, true), during: "exec" };
    return { ok: false, errno: -result, during: "clone" };
  }
}
