/**
 * A spawn with `discard` (a stream written as /dev/null that nobody reads):
 * the child's fd is /dev/null itself, the daemon keeps no descriptor for it
 * (and leaks none), on glibc's path and on the native one (a umask), and a
 * child with no output source at all still ends once, after its exit.
 */
import assert from "node:assert/strict";
import { keepDescriptorsFromChildren } from "../../src/process/descriptors.ts";
import { DenoSpawner } from "../../src/process/spawner.ts";
import { plainSpec as spec } from "../_helpers/spawn_spec.ts";
import { waitFor } from "../_helpers/wait_for.ts";

/** The daemon's (this process's) descriptors open on /dev/null. */
function devNullFds(): number[] {
  return [...Deno.readDirSync("/proc/self/fd")].map((e) => Number(e.name)).filter((fd) => {
    try {
      return Deno.readLinkSync(`/proc/self/fd/${fd}`) === "/dev/null";
    } catch {
      return false; // closed since the listing (the listing's own, at least)
    }
  });
}

const spawner = new DenoSpawner({ baseEnv: {} });
const COMBINATIONS = [
  { stdout: true, stderr: true },
  { stdout: true, stderr: false },
  { stdout: false, stderr: true },
];

for (const umask of [null, 0o022]) {
  for (const discard of COMBINATIONS) {
    Deno.test(`discard ${JSON.stringify(discard)}${umask === null ? "" : " (native, umask)"}: /dev/null in the child, no descriptor kept`, async () => {
      // As the daemon does at start: the test runner's own descriptors stay out of children.
      assert.ok(keepDescriptorsFromChildren());
      // A first spawn opens what the spawner keeps for good (poller, libc).
      const warm = spawner.spawn(spec({ argv: ["/bin/true"], directOutput: true, umask }));
      assert.ok(warm.ok);
      await warm.child.status;
      warm.child.output?.stdout?.release();
      warm.child.output?.stderr?.release();
      const before = devNullFds();
      const result = spawner.spawn(
        spec({ argv: ["/bin/sleep", "1017.5"], directOutput: true, discard, umask }),
      );
      assert.ok(result.ok, result.ok ? "" : result.reason);
      const { child } = result;
      const output = child.output!;
      try {
        const fd = (n: number) => Deno.readLinkSync(`/proc/${child.pid}/fd/${n}`);
        // The executable, not the command line: a shim's (`sh -c … exec "$@"`) names
        // sleep too, while its own descriptors are still open.
        await waitFor(() => /\/sleep$/.test(Deno.readLinkSync(`/proc/${child.pid}/exe`)), "exec");
        assert.equal(fd(1) === "/dev/null", discard.stdout, fd(1));
        assert.equal(fd(2) === "/dev/null", discard.stderr, fd(2));
        assert.equal(output.stdout === null, discard.stdout);
        assert.equal(output.stderr === null, discard.stderr);
        // No /dev/null kept here. Other test files share this process (--parallel) and
        // may hold one for an instant: a leak is one that stays.
        await waitFor(() => devNullFds().every((fd) => before.includes(fd)), {
          timeout: 5_000,
          what: "no /dev/null descriptor left in the daemon",
        });
        // Exactly 0-2 in the child. Polled: sleep itself opens and closes its
        // locale files just after exec; a descriptor of ours would stay.
        const childFds = () =>
          [...Deno.readDirSync(`/proc/${child.pid}/fd`)].map((e) => e.name).sort().join(" ");
        await waitFor(() => childFds() === "0 1 2" || null, {
          timeout: 5_000,
          what: "only fds 0-2 in the child",
        });
      } finally {
        Deno.kill(-child.pid, "SIGKILL");
        await child.status;
        output.stdout?.release();
        output.stderr?.release();
      }
    });
  }
}

Deno.test("a child with no output source ends once, after its exit, with its status", async () => {
  const result = spawner.spawn(spec({
    argv: ["/bin/sh", "-c", "echo out; echo err >&2; exit 3"],
    directOutput: true,
    discard: { stdout: true, stderr: true },
  }));
  assert.ok(result.ok, result.ok ? "" : result.reason);
  const { child } = result;
  assert.equal(child.output?.stdout, null);
  assert.equal(child.output?.stderr, null);
  const ends: unknown[] = [];
  child.onEnd({ childEnded: (_child, status) => ends.push(status) });
  assert.deepEqual(await child.status, { code: 3, signal: null });
  await waitFor(() => ends.length > 0, "the end told");
  assert.deepEqual(ends, [{ code: 3, signal: null }]);
  // What a reader of the stream sees: an empty stream that has ended.
  assert.equal((await child.stdout.getReader().read()).done, true);
  assert.equal(child.stderr, null);
});
