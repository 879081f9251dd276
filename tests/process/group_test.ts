import assert from "node:assert/strict";
import {
  groupAlive,
  groupExists,
  reapingGroupProbe,
  signalGroup,
} from "../../src/process/group.ts";
import { signalError } from "../../src/process/signals.ts";
import { ERRNO, libc } from "../../src/process/libc.ts";
import { posixSpawn } from "../../src/process/posix_spawn.ts";
import { alive, exists, waitFor } from "../_helpers/wait_for.ts";

/** `sh -c script` leading a process group of its own, once that group exists. */
async function groupLeader(script: string): Promise<Deno.ChildProcess> {
  const child = new Deno.Command("/bin/sh", { args: ["-c", script], detached: true }).spawn();
  await waitFor(() => groupExists(child.pid), { what: "the group" });
  return child;
}

Deno.test("groupAlive() sees a live group, then not once its members are gone", async () => {
  const child = await groupLeader("sleep 30 & sleep 30");
  try {
    assert.equal(await groupAlive(child.pid), true);
  } finally {
    signalGroup(child.pid, "SIGKILL");
    await child.status;
  }
  // The orphaned `sleep` is killed too; reaped or a zombie, it no longer counts.
  await waitFor(async () => !(await groupAlive(child.pid)), { what: "the group to be gone" });
});

Deno.test("reapingGroupProbe() sweeps once per synchronous run (a stop's burst of exits), and sees the group", async () => {
  let sweeps = 0;
  const probe = reapingGroupProbe(() => sweeps++);
  const child = await groupLeader("sleep 30");
  try {
    const burst = [probe(child.pid), probe(child.pid), probe(child.pid)];
    assert.equal(sweeps, 1, "one sweep for the run's three probes");
    assert.deepEqual(await Promise.all(burst), [true, true, true]);
    assert.equal(await probe(child.pid), true);
    assert.equal(sweeps, 2, "a later run sweeps again");
  } finally {
    signalGroup(child.pid, "SIGKILL");
    await child.status;
  }
  await waitFor(async () => !(await probe(child.pid)), { what: "the probe to see the group gone" });
});

Deno.test("reapingGroupProbe() called inside a sweep looks at the group once that sweep is over", async () => {
  // As in a stop: the sweep collecting an exit tells it at once, and its probe
  // must not see a zombie that the rest of the sweep collects.
  const c = libc()!;
  const started = posixSpawn({
    path: "/bin/true",
    argv: ["/bin/true"],
    env: {},
    cwd: null,
    combineOutput: true,
  });
  assert.ok(started.ok);
  c.symbols.close(started.child.stdout!);
  const pid = started.child.pid;
  await waitFor(() => exists(pid) && !alive(pid), "the leader to be a zombie");
  assert.equal(groupExists(pid), true, "a zombie is still in its group");
  let nested: Promise<boolean> | null = null;
  const probe = reapingGroupProbe(() => {
    nested = probe(pid);
    c.symbols.waitpid(pid, new Uint8Array(4), 0);
  });
  assert.equal(await probe(pid), false);
  assert.ok(nested !== null, "the sweep asked too");
  assert.equal(await nested, false, "asked before the reap, answered after it");
});

Deno.test("signalGroup() reaches every member with the signal asked; a gone group is false, not an error", async () => {
  const child = await groupLeader("trap '' TERM; sleep 30 & wait");
  try {
    // SIGUSR1 ends sh and sleep both (the trap is for TERM only).
    assert.equal(signalGroup(child.pid, "SIGUSR1"), true);
    assert.equal((await child.status).signal, "SIGUSR1");
    await waitFor(() => !groupExists(child.pid), { what: "the group to be gone" });
    assert.equal(signalGroup(child.pid, "SIGTERM"), false);
  } finally {
    signalGroup(child.pid, "SIGKILL"); // false once gone
  }
});

Deno.test("signalError() gives what Deno.kill threw: its class and words", async () => {
  const child = new Deno.Command("/bin/true").spawn();
  await child.status;
  // Reaped: its pid names nothing now (signal 0 sends nothing, whatever it names).
  let thrown: unknown = null;
  try {
    Deno.kill(child.pid, 0 as unknown as Deno.Signal);
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown instanceof Deno.errors.NotFound, `Deno.kill threw ${thrown}`);
  const ours = signalError(ERRNO.ESRCH);
  assert.ok(ours instanceof Deno.errors.NotFound);
  assert.equal(ours.message, thrown.message);
  const denied = signalError(ERRNO.EPERM);
  assert.ok(denied instanceof Deno.errors.PermissionDenied);
  assert.equal(denied.message, "EPERM: Operation not permitted");
});
