import assert from "node:assert/strict";
import { runCheck } from "../../src/health/checks.ts";
import { DenoSpawner } from "../../src/process/spawner.ts";
import { plainSpec } from "../_helpers/spawn_spec.ts";
import { alive, waitFor } from "../_helpers/wait_for.ts";

const ctx = {
  spawner: new DenoSpawner(),
  execSpec: (argv: readonly string[]) => plainSpec({ argv: [...argv] }),
  logLineSeen: () => false,
};

Deno.test("an exec check passes on exit 0 and fails with the exit status", async () => {
  assert.deepEqual(await runCheck({ kind: "exec", argv: ["true"] }, 5000, ctx), {
    ok: true,
    detail: "ok",
  });
  assert.deepEqual(
    await runCheck({ kind: "exec", argv: ["/bin/sh", "-c", "exit 4"] }, 5000, ctx),
    { ok: false, detail: "exit status 4" },
  );
});

Deno.test("an exec check that hangs is killed, whole group, at its timeout", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `sleep 1000.2301 & echo $! > ${dir}/child; sleep 1000.2302`;
    const began = Date.now();
    const r = await runCheck({ kind: "exec", argv: ["/bin/sh", "-c", script] }, 300, ctx);
    assert.deepEqual(r, { ok: false, detail: "timed out after 0.3 s" });
    assert.ok(Date.now() - began < 10_000);
    const child = Number(await Deno.readTextFile(`${dir}/child`));
    await waitFor(() => !alive(child), "the probe's background child to be killed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tcp and http checks against real listeners on 127.0.0.1", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const accepting = (async () => {
    for await (const conn of listener) conn.close();
  })();
  assert.equal((await runCheck({ kind: "tcp", host: "127.0.0.1", port }, 2000, ctx)).ok, true);
  listener.close();
  await accepting.catch(() => {});
  const refused = await runCheck({ kind: "tcp", host: "127.0.0.1", port }, 2000, ctx);
  assert.deepEqual(refused, { ok: false, detail: "connection refused" });

  let status = 204;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(null, { status }),
  );
  try {
    const url = `http://127.0.0.1:${server.addr.port}/health`;
    assert.equal((await runCheck({ kind: "http", url, status: null }, 2000, ctx)).ok, true);
    assert.deepEqual(await runCheck({ kind: "http", url, status: 200 }, 2000, ctx), {
      ok: false,
      detail: "HTTP 204",
    });
    status = 503;
    assert.deepEqual(await runCheck({ kind: "http", url, status: null }, 2000, ctx), {
      ok: false,
      detail: "HTTP 503",
    });
  } finally {
    await server.shutdown();
  }
});
