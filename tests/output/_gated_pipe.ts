import assert from "node:assert/strict";
import { cString, libc } from "../../src/process/libc.ts";

const O_RDONLY = 0;
const O_NONBLOCK = 0o4000;

/**
 * A child running `script` with its stdout read through a descriptor of
 * the test's own (non-blocking, as the daemon opens a child's: pipe_fds.ts),
 * Deno's own read end cancelled. The script starts only at `go()`, once
 * the descriptor is open (the child waits for a line on stdin).
 */
export async function gatedPipe(
  script: string,
): Promise<{ fd: number; child: Deno.ChildProcess; go: () => Promise<void> }> {
  const c = libc();
  assert.ok(c !== null, "libc through FFI (deno test --allow-all on glibc Linux)");
  const child = new Deno.Command("sh", {
    args: ["-c", `read go; ${script}`],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const fd = c.symbols.open(cString(`/proc/${child.pid}/fd/1`), O_RDONLY | O_NONBLOCK);
  assert.ok(fd >= 0);
  await child.stdout.cancel();
  const go = async () => {
    const stdin = child.stdin.getWriter();
    await stdin.write(new TextEncoder().encode("go\n"));
    await stdin.close();
  };
  return { fd, child, go };
}
