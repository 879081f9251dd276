import assert from "node:assert/strict";
import { libc } from "../../src/process/libc.ts";
import { enlargeOutputPipes, PIPE_SIZE } from "../../src/process/pipes.ts";

const F_GETPIPE_SZ = 1032;

function pipeSize(pid: number, fd: number): number {
  const c = libc()!;
  const own = c.symbols.open(new TextEncoder().encode(`/proc/${pid}/fd/${fd}\0`), 1);
  try {
    return c.symbols.fcntl(own, F_GETPIPE_SZ, 0);
  } finally {
    c.symbols.close(own);
  }
}

Deno.test("enlargeOutputPipes() gives a child's stdout and stderr pipes 1 MiB and names each", {
  ignore: libc() === null,
}, async () => {
  const child = new Deno.Command("/bin/sleep", {
    args: ["30"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    assert.equal(pipeSize(child.pid, 1), 64 * 1024, "Linux's default before");
    const [stdout, stderr] = enlargeOutputPipes(child.pid);
    assert.ok(stdout && stderr, "both are pipes");
    assert.equal(`pipe:[${stdout.ino}]`, Deno.readLinkSync(`/proc/${child.pid}/fd/1`));
    assert.equal(`pipe:[${stderr.ino}]`, Deno.readLinkSync(`/proc/${child.pid}/fd/2`));
    assert.equal(pipeSize(child.pid, 1), PIPE_SIZE);
    assert.equal(pipeSize(child.pid, 2), PIPE_SIZE);
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel();
    await child.stderr.cancel();
  }
});

Deno.test("enlargeOutputPipes() on a pid that is gone names no pipe, never throws", () => {
  assert.deepEqual(enlargeOutputPipes(2 ** 22 + 12345), [null, null]);
});
