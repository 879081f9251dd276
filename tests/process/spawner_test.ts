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
