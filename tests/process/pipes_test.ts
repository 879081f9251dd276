import assert from "node:assert/strict";
import { type Libc, libc } from "../../src/process/libc.ts";
import {
  DEFAULT_PIPE_SIZE,
  narrowPipe,
  outputPipeIdentities,
  PIPE_SIZE,
  widenPipe,
} from "../../src/process/pipes.ts";
import { pipeSizeOf as pipeSize } from "../_helpers/pipe_size.ts";

const O_WRONLY = 1;

/** libc through FFI, which the daemon always has: without it these tests fail, never skip. */
function ffi(): Libc {
  const c = libc();
  assert.ok(c !== null, "libc through FFI (deno test --allow-all on glibc Linux)");
  return c;
}

Deno.test(
  "outputPipeIdentities() names a child's stdout and stderr pipes and leaves their size alone",
  async () => {
    const child = new Deno.Command("/bin/sleep", {
      args: ["30"],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    try {
      const [stdout, stderr] = outputPipeIdentities(child.pid);
      assert.ok(stdout && stderr, "both are pipes");
      assert.equal(`pipe:[${stdout.ino}]`, Deno.readLinkSync(`/proc/${child.pid}/fd/1`));
      assert.equal(`pipe:[${stderr.ino}]`, Deno.readLinkSync(`/proc/${child.pid}/fd/2`));
      // Widened only once the stream floods (the relay asks): pipes.ts says why.
      assert.equal(pipeSize(child.pid, 1), DEFAULT_PIPE_SIZE);
      assert.equal(pipeSize(child.pid, 2), DEFAULT_PIPE_SIZE);
    } finally {
      child.kill("SIGKILL");
      await child.status;
      await child.stdout.cancel();
      await child.stderr.cancel();
    }
  },
);

Deno.test("outputPipeIdentities() on a pid that is gone names no pipe, never throws", () => {
  assert.deepEqual(outputPipeIdentities(2 ** 22 + 12345), [null, null]);
});

Deno.test(
  "widenPipe() gives a pipe 1 MiB; narrowPipe() gives the default back once it holds less",
  async () => {
    const c = ffi();
    const child = new Deno.Command("/bin/sleep", { args: ["30"], stdout: "piped" }).spawn();
    const own = c.symbols.open(new TextEncoder().encode(`/proc/${child.pid}/fd/1\0`), O_WRONLY);
    const reader = child.stdout.getReader();
    try {
      widenPipe(own);
      assert.equal(pipeSize(child.pid, 1), PIPE_SIZE);
      // 100 KB in it: too much for 64 KiB, so it stays wide.
      const bytes = new Uint8Array(100_000);
      assert.equal(Number(c.symbols.write(own, bytes, BigInt(bytes.length))), bytes.length);
      narrowPipe(own);
      assert.equal(pipeSize(child.pid, 1), PIPE_SIZE, "still holds 100 KB");
      for (let taken = 0; taken < bytes.length;) taken += (await reader.read()).value?.length ?? 0;
      narrowPipe(own);
      assert.equal(pipeSize(child.pid, 1), DEFAULT_PIPE_SIZE);
    } finally {
      c.symbols.close(own);
      child.kill("SIGKILL");
      await child.status;
      await reader.cancel();
    }
  },
);
