import assert from "node:assert/strict";
import { DenoSpawner, type ExitStatus, resolveCommand } from "../../src/process/spawner.ts";
import { shimScript } from "../../src/process/shim.ts";
import { decodeWaitStatus } from "../../src/process/child_exits.ts";
import { keepDescriptorsFromChildren } from "../../src/process/descriptors.ts";
import { plainSpec as spec } from "../_helpers/spawn_spec.ts";
import { assertStartedAlone, namesUntil } from "../_helpers/started_alone.ts";
import { alive, waitFor } from "../_helpers/wait_for.ts";
import { type PosixChild, posixSpawn } from "../../src/process/posix_spawn.ts";
import { fileMode, processStartTime } from "../../src/process/kernel_files.ts";
import { libc } from "../../src/process/libc.ts";
import { groupExists } from "../../src/process/group.ts";
import { OutputHub } from "../../src/output/output_hub.ts";
import { nativeSpawner } from "../../src/process/native_spawn.ts";
import { outputPoller } from "../../src/process/fd_poller.ts";

Deno.test('shimScript(): no shell unless needed; the user\'s command is always "$@"', () => {
  assert.equal(shimScript({ umask: false, combineOutput: false }), null);
  assert.equal(shimScript({ umask: true, combineOutput: false }), 'umask "$0" && exec "$@"');
  assert.equal(shimScript({ umask: false, combineOutput: true }), 'exec "$@" 2>&1');
  assert.equal(shimScript({ umask: true, combineOutput: true }), 'umask "$0" && exec "$@" 2>&1');
  const guarded = shimScript({ umask: false, combineOutput: false, parent: true })!;
  assert.match(guarded, /^_tm_p=\$1; shift; .* \|\| exit 125; exec "\$@"$/);
});

/** Runs the shim as taskmaster would, with `parent` as the expected taskmaster pid. */
async function runGuarded(parent: string): Promise<{ code: number; stdout: string }> {
  const shim = shimScript({ umask: false, combineOutput: false, parent: true })!;
  const out = await new Deno.Command("/bin/sh", {
    args: ["-c", shim, "sh", parent, "/bin/echo", "the program ran"],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

Deno.test("the shim execs the program only while the taskmaster that spawned it is its parent", async () => {
  assert.deepEqual(await runGuarded(String(Deno.pid)), { code: 0, stdout: "the program ran\n" });
  // Its parent is not that pid any more (the taskmaster died and it was
  // re-parented): the program never runs, so a restarted taskmaster cannot
  // end up with two of it.
  assert.deepEqual(await runGuarded("1"), { code: 125, stdout: "" });
});

Deno.test("a taskmaster that dies while the shim enters its cgroup: the program never runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A FIFO as the cgroup's cgroup.procs holds the shim there until we read it.
    const cgroup = `${dir}/instance`;
    await Deno.mkdir(cgroup);
    const fifo = await new Deno.Command("mkfifo", { args: [`${cgroup}/cgroup.procs`] }).output();
    assert.ok(fifo.success);
    const shim = shimScript({ umask: false, combineOutput: false, cgroup: true, parent: true })!;
    // The stand-in taskmaster: the shim's parent, killed while the shim waits.
    const parent = new Deno.Command("/bin/sh", {
      args: [
        "-c",
        '/bin/sh -c "$0" sh $$ "$1" /bin/echo the program ran >"$2" & wait',
        shim,
        cgroup,
        `${dir}/out`,
      ],
    }).spawn();
    // Killed only once the shim waits at the FIFO (past its first parent check).
    // The check that the shim reached its cgroup: waitFor fails with these words if not.
    const shimPid = await waitFor(() => blockedOpenPid(cgroup), {
      what: "the shim to reach its cgroup (waiting at the FIFO)",
      interval: 20,
    });
    parent.kill("SIGKILL");
    await parent.status;
    const procs = await Deno.open(`${cgroup}/cgroup.procs`);
    const written = new TextDecoder().decode(await new Response(procs.readable).bytes());
    assert.equal(Number(written), shimPid, "it entered its cgroup");
    // Gone, or a zombie nobody reaps (it was re-parented): either way it ran to its end.
    await waitFor(() => !alive(shimPid), "the re-parented shim to end");
    assert.equal(await Deno.readTextFile(`${dir}/out`), "", "re-parented: it exits, nothing runs");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The pid of the process whose command line names `path` and that waits to open a FIFO. */
function blockedOpenPid(path: string): number | null {
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid)) continue;
    try {
      if (!Deno.readTextFileSync(`/proc/${pid}/cmdline`).includes(path)) continue;
      if (Deno.readTextFileSync(`/proc/${pid}/wchan`) === "wait_for_partner") return pid;
    } catch {
      // Gone meanwhile.
    }
  }
  return null;
}

Deno.test("DenoSpawner with combineOutput gives the child one pipe: stderr arrives on stdout in order", async () => {
  const spawner = new DenoSpawner();
  const result = spawner.spawn(spec({
    argv: ["/bin/sh", "-c", "umask; echo out 1; echo err 1 >&2; echo out 2", "arg0"],
    umask: 0o027,
    combineOutput: true,
  }));
  assert.ok(result.ok);
  const { child } = result;
  assert.equal(child.stderr, null);
  await child.stdin.close();
  const text = await new Response(child.stdout).text();
  assert.equal(text, "0027\nout 1\nerr 1\nout 2\n");
  assert.deepEqual(await child.status, { code: 0, signal: null });
});

/** The pipes this test process holds (`pipe:[inode]` links in /proc/self/fd). */
function ownPipes(): Set<string> {
  const pipes = new Set<string>();
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      const link = Deno.readLinkSync(`/proc/self/fd/${entry.name}`);
      if (link.startsWith("pipe:")) pipes.add(link);
    } catch {
      // Closed while we looked.
    }
  }
  return pipes;
}

for (const directOutput of [false, true]) {
  Deno.test(`a program's stdin stays open with no descriptor held for it: no EOF, and written bytes arrive (directOutput: ${directOutput})`, async () => {
    const spawner = new DenoSpawner();
    const result = spawner.spawn(spec({
      // `read` returns at once on EOF: "eof" would be printed before anything is written.
      argv: ["/bin/sh", "-c", 'while read -r line; do echo "got $line"; done; echo eof'],
      directOutput,
    }));
    assert.ok(result.ok);
    const { child } = result;
    const stdout = child.stdout.getReader();
    const stdinPipe = Deno.readLinkSync(`/proc/${child.pid}/fd/0`);
    assert.match(stdinPipe, /^pipe:/);
    await waitFor(() => !ownPipes().has(stdinPipe), "the spawner to let go of the stdin pipe");
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("one\n"));
    // More than a pipe holds (64 KiB): written as the program reads it.
    const long = "x".repeat(200_000);
    await writer.write(new TextEncoder().encode(`${long}\ntwo\n`));
    let text = "";
    const decoder = new TextDecoder();
    while (!text.includes("got two\n")) {
      const { value, done } = await stdout.read();
      assert.ok(!done, `stdout ended early: ${text.slice(0, 200)}`);
      text += decoder.decode(value, { stream: true });
    }
    assert.equal(text, `got one\ngot ${long}\ngot two\n`);
    assert.ok(!ownPipes().has(stdinPipe));
    Deno.kill(child.pid, "SIGTERM");
    assert.deepEqual(await child.status, { code: null, signal: "SIGTERM" });
    await assert.rejects(writer.write(new TextEncoder().encode("too late\n")));
    stdout.cancel().catch(() => {});
    child.stderr?.cancel().catch(() => {});
  });

  Deno.test(`a program that put a file on its fd 0 never has that file written into (directOutput: ${directOutput})`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "tm_spawner_test_" });
    try {
      await Deno.writeTextFile(`${dir}/input`, "original\n");
      const spawner = new DenoSpawner();
      const result = spawner.spawn(spec({
        argv: ["/bin/sh", "-c", `exec 0<'${dir}/input'; echo ready; exec sleep 1013.1`],
        directOutput,
      }));
      assert.ok(result.ok);
      const { child } = result;
      const reader = child.stdout.getReader();
      await reader.read(); // "ready": fd 0 is the file now
      const writer = child.stdin.getWriter();
      await assert.rejects(writer.write(new TextEncoder().encode("injected\n")), /not a pipe/);
      assert.equal(await Deno.readTextFile(`${dir}/input`), "original\n");
      Deno.kill(child.pid, "SIGKILL");
      await child.status;
      reader.cancel().catch(() => {});
      child.stderr?.cancel().catch(() => {});
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("a health probe (closableStdin) reads EOF once its stdin is closed", async () => {
  const spawner = new DenoSpawner();
  const result = spawner.spawn(spec({
    argv: ["/bin/sh", "-c", "cat; echo eof"],
    closableStdin: true,
  }));
  assert.ok(result.ok);
  const { child } = result;
  await child.stdin.close();
  assert.equal(await new Response(child.stdout).text(), "eof\n");
  assert.deepEqual(await child.status, { code: 0, signal: null });
  child.stderr?.cancel().catch(() => {});
});

Deno.test("a program spawned without Deno.Command: own session, default signals, only fds 0-2, Deno keeps nothing of it", async () => {
  // As the daemon does at start-up: what this test process inherited stays here.
  assert.ok(keepDescriptorsFromChildren());
  const spawner = new DenoSpawner();
  const result = spawner.spawn(spec({
    argv: ["/bin/sleep", "1013.2"],
    directOutput: true,
  }));
  assert.ok(result.ok);
  const { child } = result;
  assert.ok(child.output !== undefined, "its pipes are the daemon's own descriptors");
  assert.equal(spawner.isManaged(child.pid), false, "no Deno child: taskmaster collects its exit");
  try {
    // posix_spawn returns once the program is being exec'ed, and no shell came first.
    const names = await namesUntil(child.pid, "sleep");
    assert.ok(!names.some((name) => name === "sh" || name === "dash"), names.join(" -> "));
    // glibc's posix_spawn leaves its two internal signals, 32 and 33, ignored,
    // as every posix_spawn caller's children have them.
    await assertStartedAlone(child.pid, 0x180000000n);
  } finally {
    Deno.kill(-child.pid, "SIGKILL");
  }
  assert.deepEqual(await child.status, { code: null, signal: "SIGKILL" });
  child.output.stdout?.release();
  child.output.stderr?.release();
});

Deno.test("without Deno.Command: exit code, cwd, env, umask, combined output and stdin all as with it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tm_spawner_test_" });
  try {
    // With a umask the direct path starts through the native code; without one, through glibc.
    for (const [directOutput, umask] of [[false, 0o027], [true, 0o027], [true, null]] as const) {
      const result = new DenoSpawner({ baseEnv: {} }).spawn(spec({
        argv: [
          "/bin/sh",
          "-c",
          `pwd; ${umask === null ? "" : "umask; "}echo "$GREETING"; echo err >&2; ` +
          'read -r line; echo "got $line"; exit 7',
        ],
        env: { GREETING: "hello" },
        cwd: dir,
        umask,
        combineOutput: true,
        directOutput,
      }));
      assert.ok(result.ok);
      const { child } = result;
      assert.equal(child.stderr, null);
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("a line\n"));
      const text = await new Response(child.stdout).text();
      assert.equal(
        text,
        `${dir}\n${umask === null ? "" : "0027\n"}hello\nerr\ngot a line\n`,
        `directOutput: ${directOutput}, umask: ${umask}`,
      );
      assert.deepEqual(await child.status, { code: 7, signal: null });
      writer.releaseLock();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("decodeWaitStatus() reads a code or a signal as Deno reports them", () => {
  assert.deepEqual(decodeWaitStatus(0), { code: 0, signal: null });
  assert.deepEqual(decodeWaitStatus(7 << 8), { code: 7, signal: null });
  assert.deepEqual(decodeWaitStatus(9), { code: null, signal: "SIGKILL" });
  assert.deepEqual(decodeWaitStatus(15 | 0x80), { code: null, signal: "SIGTERM" }, "core dumped");
  assert.deepEqual(decodeWaitStatus(34), { code: null, signal: "SIG34" });
});

Deno.test("an executable script without #! runs under /bin/sh, with or without Deno.Command", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tm_spawner_test_" });
  try {
    const script = `${dir}/no-shebang`;
    await Deno.writeTextFile(script, 'echo "ran with $1"\n');
    await Deno.chmod(script, 0o755);
    for (const directOutput of [false, true]) {
      const result = new DenoSpawner({ baseEnv: {} }).spawn(
        spec({ argv: [script, "an argument"], directOutput }),
      );
      assert.ok(result.ok, result.ok ? "" : result.reason);
      const { child } = result;
      const text = await new Response(child.stdout).text();
      assert.equal(text, "ran with an argument\n", `directOutput: ${directOutput}`);
      assert.deepEqual(await child.status, { code: 0, signal: null });
      await child.stderr?.cancel();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("without a shell, a failed exec is a spawn error in supervisord's words; a binary is never run by sh", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tm_spawner_test_" });
  try {
    // /bin/true built for another machine: its ELF header names aarch64 (or x86-64 on aarch64).
    const foreign = `${dir}/foreign`;
    const elf = await Deno.readFile("/bin/true");
    new DataView(elf.buffer).setUint16(18, Deno.build.arch === "x86_64" ? 183 : 62, true);
    await Deno.writeFile(foreign, elf, { mode: 0o755 });
    const garbage = `${dir}/garbage`;
    await Deno.writeFile(garbage, new Uint8Array([1, 2, 0, 3, 10, 4]), { mode: 0o755 });
    const noInterpreter = `${dir}/no-interpreter`;
    await Deno.writeTextFile(noInterpreter, "#!/nonexistent/interpreter\necho ran\n", {
      mode: 0o755,
    });
    const cases = [[foreign, "ENOEXEC"], [garbage, "ENOEXEC"], [noInterpreter, "ENOENT"]];
    for (const [path, errno] of cases) {
      const result = new DenoSpawner({ baseEnv: {} }).spawn(
        spec({ argv: [path!], directOutput: true }),
      );
      assert.deepEqual(result, { ok: false, reason: `couldn't exec ${path}: ${errno}` });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** `sleep 30` started by posixSpawn (through the native code when given a umask). */
function posixSleep(umask: number | null = null): PosixChild {
  const result = posixSpawn({
    path: "/bin/sleep",
    argv: ["sleep", "30"],
    env: {},
    cwd: null,
    combineOutput: false,
    umask,
  });
  assert.ok(result.ok, result.ok ? "" : `errno ${result.errno} during ${result.during}`);
  return result.child;
}

/** Kills and collects a {@link posixSleep} child, and closes the daemon's ends of its pipes. */
function endPosixChild(child: PosixChild): void {
  const c = libc()!;
  Deno.kill(child.pid, "SIGKILL");
  c.symbols.waitpid(child.pid, new Uint8Array(4), 0);
  c.symbols.close(child.stdout!);
  if (child.stderr !== null) c.symbols.close(child.stderr);
}

Deno.test("a child's start time comes from the boot clock when its spawn stayed within one tick: the same as /proc's", () => {
  // The native code (for the umask half) is x86_64's; the test needs it here.
  assert.notEqual(nativeSpawner(), null, "native/spawn_into_cgroup.c did not load");
  const spawned: PosixChild[] = [];
  try {
    for (let i = 0; i < 20; i++) {
      // Half through glibc, half through the native code (a umask).
      spawned.push(posixSleep(i % 2 === 0 ? null : 0o022));
    }
    const fromClock = spawned.filter((child) => child.startTime !== null);
    // A spawn takes ~1 ms and a tick is 10: most never cross one.
    assert.ok(fromClock.length > 0, "no start time came from the boot clock");
    for (const child of fromClock) {
      assert.equal(child.startTime, processStartTime(child.pid), `pid ${child.pid}`);
    }
  } finally {
    for (const child of spawned) endPosixChild(child);
  }
});

for (const directOutput of [false, true]) {
  Deno.test(`a child's end is told to its listener after its last bytes were read, once; status agrees (directOutput: ${directOutput})`, async () => {
    const spawner = new DenoSpawner();
    const result = spawner.spawn(spec({
      argv: ["/bin/sh", "-c", "printf 'the last words'; exit 3"],
      directOutput,
    }));
    assert.ok(result.ok);
    const { child } = result;
    let read = "";
    const decoder = new TextDecoder();
    // Both streams read, as the relays do: the end waits for both to be drained.
    const reading = Promise.all([
      (async () => {
        for await (const chunk of child.stdout) read += decoder.decode(chunk, { stream: true });
      })(),
      child.stderr === null ? null : new Response(child.stderr).arrayBuffer(),
    ]);
    const ends: { status: ExitStatus; readThen: string }[] = [];
    let told!: () => void;
    const toldOnce = new Promise<void>((resolve) => told = resolve);
    child.onEnd({
      childEnded(ended, status) {
        assert.equal(ended, child);
        ends.push({ status, readThen: read });
        told();
      },
    });
    await toldOnce;
    assert.deepEqual(ends.map((e) => e.status), [{ code: 3, signal: null }]);
    // Read before the end is promised where the pipes are the daemon's own.
    if (child.output !== undefined) assert.equal(ends[0]!.readThen, "the last words");
    // Asked for after the end: the same status; a listener added late is told too.
    assert.deepEqual(await child.status, { code: 3, signal: null });
    const late = await new Promise<ExitStatus>((resolve) =>
      child.onEnd({ childEnded: (_, status) => resolve(status) })
    );
    assert.deepEqual(late, { code: 3, signal: null });
    await reading;
    assert.equal(read, "the last words");
    assert.equal(ends.length, 1, "the first listener was told once");
  });
}

Deno.test("an exit whose pipes a grandchild keeps open is told after the drain limit, for each of several children", async () => {
  const spawner = new DenoSpawner();
  const children = [];
  const decoder = new TextDecoder();
  const read: string[] = [];
  const reading: Promise<void>[] = [];
  for (let i = 0; i < 3; i++) {
    // The background sleep inherits stdout and stderr: neither pipe reaches EOF.
    const result = spawner.spawn(spec({
      argv: ["/bin/sh", "-c", `printf 'child ${i}'; sleep 60 & exit 0`],
      directOutput: true,
    }));
    assert.ok(result.ok);
    assert.ok(result.child.output !== undefined, "the daemon's own pipes");
    const child = result.child;
    children.push(child);
    // Read from the spawn on, as the relay does: a reader that started only
    // after the later spawns' waits could miss a drain limit under load.
    read.push("");
    reading.push((async () => {
      for await (const chunk of child.stdout) read[i] += decoder.decode(chunk, { stream: true });
    })());
    await new Promise((resolve) => setTimeout(resolve, 30)); // deadlines apart
  }
  const told: (ExitStatus | null)[] = children.map(() => null);
  const readThen: string[] = children.map(() => "");
  children.forEach((child, i) =>
    child.onEnd({
      childEnded(_, status) {
        told[i] = status;
        readThen[i] = read[i]!;
      },
    })
  );
  try {
    await waitFor(() => told.every((s) => s !== null) || null, {
      timeout: 10_000,
      what: "every end told while the grandchildren hold the pipes",
    });
    for (let i = 0; i < children.length; i++) {
      assert.deepEqual(told[i], { code: 0, signal: null });
      assert.equal(readThen[i], `child ${i}`, `child ${i}'s output read before its end`);
      assert.ok(groupExists(children[i]!.pid), `child ${i}'s grandchild still runs`);
    }
  } finally {
    for (const child of children) {
      try {
        Deno.kill(-child.pid, "SIGKILL");
      } catch { /* gone */ }
    }
    await Promise.all(reading);
    for (const child of children) {
      child.output!.stdout?.release();
      child.output!.stderr?.release();
    }
  }
});

Deno.test("a drain is told only after the reader wrote the partial line it held at the end of the stream", async () => {
  const dir = await Deno.makeTempDir({ prefix: "drain_partial_" });
  const path = `${dir}/out.log`;
  const hub = new OutputHub();
  const result = new DenoSpawner().spawn(spec({
    argv: ["/bin/sh", "-c", "printf 'line\\ntail'; exec sleep 30"],
    directOutput: true,
  }));
  assert.ok(result.ok);
  const { child } = result;
  const output = child.output!;
  try {
    // Both streams in one file: a partial line is held until the stream ends.
    const target = { path, maxBytes: 0, backups: 0, timestamps: false, flushPartialAfterMs: 5000 };
    hub.relay("x:stdout", output.stdout!, target);
    hub.relay("x:stderr", output.stderr!, target);
    await waitFor(() => Deno.readTextFileSync(path) === "line\n" || null, { what: "line" });
    // Killed, and its descriptors closed (a zombie) before the relay can have seen the
    // hang-up: the exit overtakes the poller, as it does in a stop of many.
    Deno.kill(child.pid, "SIGKILL");
    // Spun, not awaited: a turn of the event loop would let the poller see the hang-up.
    const until = Date.now() + 10_000;
    while (!/\) Z /.test(Deno.readTextFileSync(`/proc/${child.pid}/stat`))) {
      assert.ok(Date.now() < until, "the killed child never became a zombie");
    }
    const atDrain = await new Promise<string>((resolve) =>
      output.stdout!.drain!(() => resolve(Deno.readTextFileSync(path)))
    );
    assert.equal(
      atDrain,
      "line\ntail",
      "the held partial line is in the file when the drain is told",
    );
  } finally {
    await child.status;
    await hub.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveCommand: a command found once is checked again at every spawn: made non-executable, replaced by a directory or removed, it is not found", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const command = `${dir}/tool`;
    await Deno.writeTextFile(command, "#!/bin/sh\nexit 0\n");
    await Deno.chmod(command, 0o755);
    const link = `${dir}/link`;
    await Deno.symlink(command, link);
    const path = `${dir}/first:${dir}`;
    assert.deepEqual(resolveCommand("tool", path), { ok: true, path: command });
    assert.deepEqual(
      resolveCommand("link", dir),
      { ok: true, path: link },
      "a symlink is followed",
    );
    // Found once, a command is kept while it stays an executable file: one
    // put earlier in PATH since is not looked for.
    await Deno.mkdir(`${dir}/first`);
    await Deno.writeTextFile(`${dir}/first/tool`, "#!/bin/sh\nexit 1\n");
    await Deno.chmod(`${dir}/first/tool`, 0o755);
    assert.deepEqual(resolveCommand("tool", path), { ok: true, path: command });
    await Deno.remove(`${dir}/first`, { recursive: true });
    await Deno.chmod(command, 0o644);
    assert.deepEqual(resolveCommand("tool", path), {
      ok: false,
      reason: "can't find command 'tool'",
    });
    assert.equal(resolveCommand("link", dir).ok, false, "its target is not executable");
    await Deno.remove(command);
    await Deno.mkdir(command, { mode: 0o755 });
    assert.equal(resolveCommand("tool", dir).ok, false, "a directory is not a command");
    await Deno.remove(command);
    assert.deepEqual(resolveCommand(command, ""), {
      ok: false,
      reason: `can't find command '${command}'`,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fileMode reads what stat(2) does: a file, a directory, a symlink's target; null for a missing path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/file`, "x");
    await Deno.chmod(`${dir}/file`, 0o751);
    await Deno.symlink(`${dir}/file`, `${dir}/link`);
    for (const path of [`${dir}/file`, dir, `${dir}/link`]) {
      const mode = fileMode(path);
      assert.notEqual(mode, undefined, "statx is there on this machine");
      assert.equal(mode, Deno.statSync(path).mode, path);
    }
    assert.equal(fileMode(`${dir}/missing`), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Pids of this process's children whose command line has `marker` as an argument. */
function childrenRunning(marker: string): number[] {
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const argv = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
      if (ppid === Deno.pid && argv.includes(marker)) found.push(pid);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

Deno.test("a spawn that fails after its child started (a defect of ours) kills and collects that child", async () => {
  const poller = outputPoller()!;
  const watch = poller.watch;
  poller.watch = () => {
    throw new Error("a defect after the start");
  };
  let thrown: unknown = null;
  try {
    new DenoSpawner().spawn(spec({ argv: ["/bin/sleep", "1013.7"], directOutput: true }));
  } catch (error) {
    thrown = error;
  } finally {
    poller.watch = watch;
  }
  assert.match(String(thrown), /a defect after the start/);
  // Killed and reaped: not running, and no zombie left under this process.
  await waitFor(() => childrenRunning("1013.7").length === 0, { what: "the child gone" });
});
