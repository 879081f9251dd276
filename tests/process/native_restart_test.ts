import assert from "node:assert/strict";
import { armRestart, type RestartPlan, restartThreadId } from "../../src/process/native_restart.ts";
import { type PosixChild, posixSpawn } from "../../src/process/posix_spawn.ts";
import { DenoSpawner } from "../../src/process/spawner.ts";
import { libc } from "../../src/process/libc.ts";
import { decodeWaitStatus } from "../../src/process/child_exits.ts";
import { alive, exists, waitFor } from "../_helpers/wait_for.ts";

// The children here are started with posix_spawn.ts directly: nothing of the
// process collects them (child_exits.ts collects only what it watches), so
// the native code's thread, not a race with a sweep, sees each exit. Other
// test modules may run in this process (--parallel): what the native code
// started is told by its thread.

/** Children the native code's thread started (and nobody collected yet). */
function restartedChildren(): number[] {
  const tid = restartThreadId();
  if (tid === null) return [];
  const text = Deno.readTextFileSync(`/proc/${Deno.pid}/task/${tid}/children`).trim();
  return text === "" ? [] : text.split(" ").map(Number);
}

/** A child started by the native code with its vectors kept, stdout and stderr on one pipe. */
function startKept(argv: string[], env: Record<string, string> = {}): PosixChild {
  const result = posixSpawn({
    path: argv[0]!,
    argv,
    env: { PATH: "/usr/bin:/bin", ...env },
    cwd: "/tmp",
    combineOutput: true,
    umask: 0o027,
    keepVectors: true,
  });
  assert.ok(result.ok, result.ok ? "" : `errno ${result.errno} during ${result.during}`);
  assert.ok(result.child.vectors !== undefined, "the native code started it, vectors kept");
  return result.child;
}

function plan(child: PosixChild, overrides: Partial<RestartPlan> = {}): RestartPlan {
  return {
    pid: child.pid,
    vectors: child.vectors!,
    autorestart: "unexpected",
    exitcodes: [0],
    crashRestartInMs: 0,
    ...overrides,
  };
}

/** Collects our (unwatched) child `pid`: how it ended. */
function collect(pid: number): { code: number | null; signal: string | null } {
  const status = new Int32Array(1);
  assert.equal(libc()!.symbols.waitpid(pid, new Uint8Array(status.buffer), 0), pid);
  return decodeWaitStatus(status[0]!);
}

/** What a non-blocking pipe of ours holds once it has `until`. */
async function readUntil(fd: number, until: string): Promise<string> {
  const buffer = new Uint8Array(4096);
  let seen = "";
  await waitFor(() => {
    const n = Number(libc()!.symbols.read(fd, buffer, BigInt(buffer.length)));
    if (n > 0) seen += new TextDecoder().decode(buffer.subarray(0, n));
    return seen.includes(until) ? true : null;
  }, { what: `"${until}" on fd ${fd}` });
  return seen;
}

/** Exited, not yet collected. */
const zombie = (pid: number) => exists(pid) && !alive(pid);

function umaskOf(pid: number): string | null {
  return /^Umask:\s+(\d+)$/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`))?.[1] ?? null;
}

function cwdOf(pid: number): string {
  return Deno.readLinkSync(`/proc/${pid}/cwd`);
}

Deno.test("a killed child is replaced by the native code at its exit, from the same argv, environment, directory and umask, its output piped", async () => {
  const child = startKept(["/bin/sh", "-c", 'echo "up $MARK $$"; exec sleep 1000'], {
    MARK: "m-1234",
  });
  assert.match(await readUntil(child.stdout!, "\n"), /^up m-1234 \d+\n$/);
  const armed = armRestart(plan(child));
  assert.ok(armed !== null, "armed (pidfd_open, the native thread)");
  Deno.kill(child.pid, "SIGKILL");
  const started = await waitFor(() => restartedChildren()[0] ?? null, {
    what: "a replacement started by the native code's thread",
  });
  // The old child is left for the daemon to collect (WNOWAIT): it is still ours to reap.
  assert.deepEqual(collect(child.pid), { code: null, signal: "SIGKILL" });
  const restarted = armed.disarm();
  assert.ok(restarted !== null, "the disarm hands over the replacement");
  assert.equal(restarted.pid, started);
  assert.match(restarted.stdin, /^pipe:\[\d+\]$/);
  assert.equal(restarted.stderr, null, "stderr on the stdout pipe, as the last child's");
  assert.equal(umaskOf(restarted.pid), "0027");
  assert.equal(cwdOf(restarted.pid), "/tmp");
  assert.equal(await readUntil(restarted.stdout!, "\n"), `up m-1234 ${restarted.pid}\n`);
  libc()!.symbols.close(child.stdout!);
  // Held as the daemon holds it: its exit collected, its pipe read.
  const held = new DenoSpawner().adopt(restarted);
  Deno.kill(held.pid, "SIGKILL");
  assert.deepEqual(await held.status, { code: null, signal: "SIGKILL" });
});

Deno.test("an expected exit, a crash within its window and a disarmed child are not restarted by the native code", async () => {
  const cases: { argv: string[]; plan: Partial<RestartPlan>; disarm?: boolean }[] = [
    { argv: ["/bin/sh", "-c", "exit 0"], plan: {} },
    { argv: ["/bin/sh", "-c", "exit 3"], plan: { crashRestartInMs: 60_000 } },
    { argv: ["/bin/sh", "-c", "kill -SEGV $$"], plan: { crashRestartInMs: 60_000 } },
    { argv: ["/bin/sh", "-c", "kill -KILL $$"], plan: { autorestart: "unexpected" }, disarm: true },
  ];
  for (const c of cases) {
    const what = c.argv.join(" ");
    const child = startKept(c.argv);
    const armed = armRestart(plan(child, c.plan));
    assert.ok(armed !== null, what);
    if (c.disarm) {
      assert.equal(armed.disarm(), null);
      // Out of the thread's epoll before it exits: once it has, nothing more can come.
      await waitFor(() => zombie(child.pid) || null, { what: `${what} to exit` });
    } else await waitFor(() => armed.decided || null, { what: `the decision on ${what}` });
    assert.deepEqual(restartedChildren(), [], `${what}: nothing started`);
    if (!c.disarm) assert.equal(armed.disarm(), null, what);
    collect(child.pid);
    libc()!.symbols.close(child.stdout!);
  }
});

Deno.test("the native code restarts an expected exit under autorestart always, and an exit by itself once its crash window is over", async () => {
  for (const overrides of [{ autorestart: "always" as const }, { exitcodes: [] }]) {
    const child = startKept(["/bin/sh", "-c", "exit 0"]);
    const armed = armRestart(plan(child, overrides));
    assert.ok(armed !== null);
    const started = await waitFor(() => restartedChildren()[0] ?? null, {
      what: `a replacement (${JSON.stringify(overrides)})`,
    });
    collect(child.pid);
    libc()!.symbols.close(child.stdout!);
    const restarted = armed.disarm();
    assert.equal(restarted?.pid, started);
    // Exits at once again (exit 0): collected as the daemon would.
    const held = new DenoSpawner().adopt(restarted!);
    assert.deepEqual(await held.status, { code: 0, signal: null });
  }
});
