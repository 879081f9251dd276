import assert from "node:assert/strict";
import { childExits, type WaitStatus } from "../../src/process/child_exits.ts";
import { libc } from "../../src/process/libc.ts";
import { posixSpawn } from "../../src/process/posix_spawn.ts";
import { alive, exists, waitFor } from "../_helpers/wait_for.ts";

const request = (argv: string[]) => ({
  path: argv[0]!,
  argv,
  env: {},
  cwd: null,
  combineOutput: true,
});

/** The value `promise` settles to, polled with a deadline: a lost exit fails the test, not hangs it. */
async function settled<T>(promise: Promise<T>, what: string): Promise<T> {
  let value: { ok: T } | null = null;
  promise.then((ok) => value = { ok });
  return (await waitFor(() => value, { what, timeout: 20_000 })).ok;
}

/** A process that has exited and waits to be collected. */
const zombie = (pid: number) => exists(pid) && !alive(pid);

Deno.test("an exit nobody collects, first in line, does not hold back a watched child's status", async () => {
  const c = libc()!;
  const exits = childExits()!;
  // Not watched and not an orphan: its zombie stays first in line, as one of
  // Deno's own does until Deno collects it.
  const first = posixSpawn(request(["/bin/true"]));
  assert.ok(first.ok);
  c.symbols.close(first.child.stdout!);
  await waitFor(() => zombie(first.child.pid) || null, "the first child to be a zombie");
  const second = posixSpawn(request(["/bin/sleep", "1013.3"]));
  assert.ok(second.ok);
  c.symbols.close(second.child.stdout!);
  const status = new Promise<WaitStatus>((resolve) =>
    exits.watch(second.child.pid, { exited: resolve })
  );
  Deno.kill(second.child.pid, "SIGKILL");
  assert.deepEqual(await settled(status, "the watched child's status"), {
    code: null,
    signal: "SIGKILL",
  });
  assert.equal(exits.watches(second.child.pid), false);
  assert.ok(zombie(first.child.pid), "what is not ours to collect is left alone");
  c.symbols.waitpid(first.child.pid, new Uint8Array(4), 0);
});

Deno.test("a child watched while its predecessor is collected behind an exit not ours is collected in the same sweep", async () => {
  // As a restart started by native code is: watched (adopted) when the
  // sweep collects the child it replaces, and possibly gone already.
  const c = libc()!;
  const exits = childExits()!;
  const spawn = (argv: string[]) => {
    const started = posixSpawn(request(argv));
    assert.ok(started.ok);
    c.symbols.close(started.child.stdout!);
    return started.child.pid;
  };
  const first = spawn(["/bin/true"]);
  await waitFor(() => zombie(first) || null, "the first child to be a zombie");
  const replacement = spawn(["/bin/true"]);
  await waitFor(() => zombie(replacement) || null, "the replacement to have exited");
  const replaced = spawn(["/bin/sleep", "1013.4"]);
  let late: Promise<WaitStatus> | null = null;
  exits.watch(replaced, {
    exited: () => late = new Promise((resolve) => exits.watch(replacement, { exited: resolve })),
  });
  Deno.kill(replaced, "SIGKILL");
  await waitFor(() => late, "the replaced child collected");
  // No other exit comes to wake a sweep: the replacement's status is the same sweep's.
  assert.deepEqual(await settled(late!, "the replacement's status"), { code: 0, signal: null });
  assert.ok(zombie(first), "what is not ours to collect is left alone");
  c.symbols.waitpid(first, new Uint8Array(4), 0);
});

Deno.test("many children exiting at once: every status arrives, each to its own watcher", async () => {
  const c = libc()!;
  const exits = childExits()!;
  const children = [];
  for (let i = 0; i < 40; i++) {
    const started = posixSpawn(request(["/bin/sh", "-c", `exit ${i}`]));
    assert.ok(started.ok);
    c.symbols.close(started.child.stdout!);
    const pid = started.child.pid;
    children.push(new Promise<WaitStatus>((resolve) => exits.watch(pid, { exited: resolve })));
  }
  const statuses = await settled(Promise.all(children), "all 40 statuses");
  assert.deepEqual(statuses.map((s) => s.code), [...Array(40).keys()]);
});
