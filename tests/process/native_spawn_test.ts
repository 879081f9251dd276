import assert from "node:assert/strict";
import { cgroup2Mount, members } from "../../src/process/cgroups.ts";
import { DenoSpawner } from "../../src/process/spawner.ts";
import { nativeSpawner } from "../../src/process/native_spawn.ts";
import { cString, libc } from "../../src/process/libc.ts";
import { readKernelFileAt } from "../../src/process/kernel_files.ts";
import { keepDescriptorsFromChildren } from "../../src/process/descriptors.ts";
import { plainSpec as spec } from "../_helpers/spawn_spec.ts";
import { assertStartedAlone, namesUntil, procStatus } from "../_helpers/started_alone.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const O_DIRECTORY = 0o200000;
const O_CLOEXEC = 0o2000000;

/** A descriptor of the directory `path` (a cgroup's, as clone3 takes it); the caller closes it. */
function openDirectory(path: string): number {
  const fd = libc()!.symbols.open(cString(path), O_DIRECTORY | O_CLOEXEC);
  assert.ok(fd >= 0, `open ${path}`);
  return fd;
}

/** A cgroup of this test's own under the v2 hierarchy, removed afterwards. */
async function withCgroup(fn: (path: string, relative: string) => Promise<void>): Promise<void> {
  const mount = cgroup2Mount();
  assert.ok(mount !== null, "this machine has a writable cgroup v2 hierarchy (see DENO-NOTES)");
  const outer = `${mount}/taskmaster-native-test-${Deno.pid}-${Date.now()}`;
  const path = `${outer}/web:0`;
  await Deno.mkdir(path, { recursive: true });
  try {
    await fn(path, path.slice(mount.length));
  } finally {
    await waitFor(() => members(path).length === 0, "the test's children gone from its cgroup");
    await Deno.remove(path).catch(() => {});
    await Deno.remove(outer).catch(() => {});
  }
}

/** Children the native code started so far: tells its spawns from the shim's. */
function nativeSpawns(): number {
  return nativeSpawner()?.spawned ?? -1;
}

Deno.test("the native spawn code loads here (x86_64 Linux): programs with a cgroup or a umask start without a shell", () => {
  assert.equal(Deno.build.arch, "x86_64", "the machines taskmaster is tested on");
  assert.ok(nativeSpawner() !== null, "the shared object loads from a memfd");
});

Deno.test("a program with a cgroup and a umask is born in its cgroup and exec'ed without a shell: own session, default signals, only fds 0-2", async () => {
  assert.ok(keepDescriptorsFromChildren());
  await withCgroup(async (cgroup, relative) => {
    const before = nativeSpawns();
    const result = new DenoSpawner({ baseEnv: {} }).spawn(spec({
      argv: ["/bin/sleep", "1013.7"],
      cgroup,
      umask: 0o027,
      directOutput: true,
    }));
    assert.ok(result.ok, result.ok ? "" : result.reason);
    const { child } = result;
    assert.equal(nativeSpawns(), before + 1, "started by the native code");
    try {
      // No shell that enters the cgroup first: the program runs there when spawn() returns.
      const names = await namesUntil(child.pid, "sleep");
      assert.ok(!names.some((name) => name === "sh" || name === "dash"), names.join(" -> "));
      const line = Deno.readTextFileSync(`/proc/${child.pid}/cgroup`).split("\n")
        .find((l) => l.startsWith("0::"));
      assert.equal(line, `0::${relative}`, "in its cgroup");
      assert.deepEqual(members(cgroup), [child.pid]);
      assert.equal(procStatus(child.pid).get("Umask"), "0027");
      // Unlike glibc, the native code leaves no signal ignored, 32 and 33 included.
      await assertStartedAlone(child.pid);
    } finally {
      Deno.kill(-child.pid, "SIGKILL");
    }
    assert.deepEqual(await child.status, { code: null, signal: "SIGKILL" });
    child.output?.stdout?.release();
    child.output?.stderr?.release();
  });
});

Deno.test("in a cgroup without a shell: cwd, env, umask, combined output, stdin and exit code as with one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tm_native_spawn_test_" });
  try {
    await withCgroup(async (cgroup, relative) => {
      const before = nativeSpawns();
      const result = new DenoSpawner({ baseEnv: {} }).spawn(spec({
        argv: [
          "/bin/sh",
          "-c",
          'pwd; umask; echo "$GREETING"; grep "^0::" /proc/self/cgroup; echo err >&2; ' +
          'read -r line; echo "got $line"; exit 7',
        ],
        env: { GREETING: "hello" },
        cwd: dir,
        umask: 0o077,
        cgroup,
        combineOutput: true,
        directOutput: true,
      }));
      assert.ok(result.ok, result.ok ? "" : result.reason);
      assert.equal(nativeSpawns(), before + 1, "started by the native code");
      const { child } = result;
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("a line\n"));
      const text = await new Response(child.stdout).text();
      assert.equal(text, `${dir}\n0077\nhello\n0::${relative}\nerr\ngot a line\n`);
      assert.deepEqual(await child.status, { code: 7, signal: null });
      writer.releaseLock();
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("in a cgroup without a shell: a failed exec is a spawn error in supervisord's words; a script without #! runs under sh, in the cgroup", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tm_native_spawn_test_" });
  try {
    await withCgroup(async (cgroup, relative) => {
      const noInterpreter = `${dir}/no-interpreter`;
      await Deno.writeTextFile(noInterpreter, "#!/nonexistent/interpreter\necho ran\n", {
        mode: 0o755,
      });
      const failed = new DenoSpawner({ baseEnv: {} }).spawn(
        spec({ argv: [noInterpreter], cgroup, directOutput: true }),
      );
      assert.deepEqual(failed, { ok: false, reason: `couldn't exec ${noInterpreter}: ENOENT` });
      const script = `${dir}/no-shebang`;
      await Deno.writeTextFile(script, 'echo "ran with $1"; grep "^0::" /proc/self/cgroup\n', {
        mode: 0o755,
      });
      const before = nativeSpawns();
      const result = new DenoSpawner({ baseEnv: {} }).spawn(
        spec({ argv: [script, "an argument"], cgroup, directOutput: true }),
      );
      assert.ok(result.ok, result.ok ? "" : result.reason);
      assert.equal(nativeSpawns(), before + 1, "its retry under sh started by the native code");
      const text = await new Response(result.child.stdout).text();
      assert.equal(text, `ran with an argument\n0::${relative}\n`);
      assert.deepEqual(await result.child.status, { code: 0, signal: null });
      await result.child.stderr?.cancel();
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a cgroup removed before the spawn: the shim makes it again and the program runs in it", async () => {
  await withCgroup(async (cgroup, relative) => {
    await Deno.remove(cgroup);
    const result = new DenoSpawner({ baseEnv: {} }).spawn(spec({
      argv: ["/bin/sh", "-c", 'grep "^0::" /proc/self/cgroup'],
      cgroup,
      directOutput: true,
    }));
    assert.ok(result.ok, result.ok ? "" : result.reason);
    const text = await new Response(result.child.stdout).text();
    assert.equal(text, `0::${relative}\n`);
    assert.deepEqual(await result.child.status, { code: 0, signal: null });
    await result.child.stderr?.cancel();
  });
});

Deno.test("a cgroup's cgroup.events read through its directory's descriptor says what its path says, frozen or not", async () => {
  await withCgroup(async (cgroup) => {
    const c = libc()!;
    const dir = openDirectory(cgroup);
    try {
      const read = () => readKernelFileAt(dir, "cgroup.events");
      assert.match(read() ?? "", /^frozen 0$/m);
      await Deno.writeTextFile(`${cgroup}/cgroup.freeze`, "1");
      await waitFor(() => /^frozen 1$/m.test(read() ?? ""), "frozen 1 through the descriptor");
      assert.equal(read(), Deno.readTextFileSync(`${cgroup}/cgroup.events`));
      await Deno.writeTextFile(`${cgroup}/cgroup.freeze`, "0");
      assert.equal(readKernelFileAt(dir, "no-such-file"), null);
    } finally {
      c.symbols.close(dir);
    }
  });
});

Deno.test("a frozen cgroup: the spawn returns at once through the shim, and the program runs once thawed", async () => {
  await withCgroup(async (cgroup, relative) => {
    await Deno.writeTextFile(`${cgroup}/cgroup.freeze`, "1");
    await waitFor(
      () => /^frozen 1$/m.test(Deno.readTextFileSync(`${cgroup}/cgroup.events`)),
      "the cgroup frozen",
    );
    const before = nativeSpawns();
    // Born frozen in a vfork-style clone, the child would hold this thread until thawed.
    const result = new DenoSpawner({ baseEnv: {} }).spawn(spec({
      argv: ["/bin/sh", "-c", 'grep "^0::" /proc/self/cgroup'],
      cgroup,
      directOutput: true,
    }));
    assert.ok(result.ok, result.ok ? "" : result.reason);
    assert.equal(nativeSpawns(), before, "not by the native code");
    await Deno.writeTextFile(`${cgroup}/cgroup.freeze`, "0");
    assert.equal(await new Response(result.child.stdout).text(), `0::${relative}\n`);
    assert.deepEqual(await result.child.status, { code: 0, signal: null });
    await result.child.stderr?.cancel();
  });
});

Deno.test("clone3 into a cgroup removed after it was opened fails before any child, as `clone`", async () => {
  await withCgroup(async (cgroup) => {
    const c = libc()!;
    const fd = openDirectory(cgroup);
    try {
      await Deno.remove(cgroup);
      const path = cString("/bin/true");
      const vector = new Uint8Array(8);
      const result = nativeSpawner()!.spawn({
        path,
        argv: vector,
        envp: vector,
        cwd: null,
        fds: [0, 1, 2],
        cgroupFd: fd,
        umask: null,
      });
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.during, "clone");
      assert.equal(!result.ok && result.errno > 0, true);
    } finally {
      c.symbols.close(fd);
      await Deno.mkdir(cgroup).catch(() => {});
    }
  });
});
