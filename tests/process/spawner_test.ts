import assert from "node:assert/strict";
import { DenoSpawner, shimScript, type SpawnSpec } from "../../src/process/spawner.ts";

const spec = (overrides: Partial<SpawnSpec>): SpawnSpec => ({
  argv: ["/bin/true"],
  env: {},
  cwd: null,
  umask: null,
  uid: null,
  gid: null,
  combineOutput: false,
  ...overrides,
});

Deno.test('shimScript(): no shell unless needed; the user\'s command is always "$@"', () => {
  assert.equal(shimScript({ umask: false, combineOutput: false }), null);
  assert.equal(shimScript({ umask: true, combineOutput: false }), 'umask "$0" && exec "$@"');
  assert.equal(shimScript({ umask: false, combineOutput: true }), 'exec "$@" 2>&1');
  assert.equal(shimScript({ umask: true, combineOutput: true }), 'umask "$0" && exec "$@" 2>&1');
  const guarded = shimScript({ umask: false, combineOutput: false, parent: true })!;
  assert.match(guarded, /^_tm_p=\$1; shift; .*_tm_up \|\| exit 125; exec "\$@"$/);
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
