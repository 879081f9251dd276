/** Shared helpers for the output tests: temp dirs, children, hashing, polling. */

export async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A temp dir removed (recursively) on dispose. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "tm_output_test_" });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

/** Spawns `sh -c script` with stdout/stderr piped. */
export function sh(script: string, stderr: "piped" | "null" = "null"): Deno.ChildProcess {
  return new Deno.Command("sh", { args: ["-c", script], stdout: "piped", stderr }).spawn();
}

/** What `sh -c script` writes to its stdout: the bytes a relay of it must end with. */
export async function scriptOutput(script: string): Promise<Uint8Array> {
  return (await new Deno.Command("sh", { args: ["-c", script] }).output()).stdout;
}

export { waitFor } from "../_helpers/wait_for.ts";

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
export function pseudoRandomBytes(length: number, seed = 12345): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Text lines of pseudo-random lengths (1..maxLength incl. newline), `total` bytes or a bit more. */
export function pseudoRandomLines(total: number, maxLength: number, seed = 7): Uint8Array {
  const random = pseudoRandomBytes(total, seed);
  const out = new Uint8Array(total);
  let at = 0;
  let n = 0;
  while (at < total) {
    const length = Math.min(total - at, 1 + (((random[n] ?? 0) * 131 + n) % maxLength));
    for (let i = 0; i < length - 1; i++) out[at + i] = 97 + ((n + i) % 26);
    out[at + length - 1] = 10;
    at += length;
    n++;
  }
  return out;
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
