/**
 * GET /v1/processes is written a slice of 100 records at a time (issue 17:
 * no record of thousands outlives its slice). What a client reads must be
 * the one JSON list it always was: every instance once, in status order,
 * whole records across the slices' seams.
 */
import assert from "node:assert/strict";
import { runTaskmaster, TestDaemon } from "../_helpers/daemon.ts";

const N = 250; // two whole slices and a part

Deno.test(`GET /v1/processes with ${N + 1} instances: one JSON list in status order`, async () => {
  await using d = await TestDaemon.start(`
programs:
  zeta:
    cmd: sleep 1002.41
    numprocs: ${N}
    autostart: false
  alpha:
    cmd: sleep 1002.42
    starttime: 0
`);
  const alpha = await d.waitState("alpha", "RUNNING");
  const client = Deno.createHttpClient({ proxy: { transport: "unix", path: d.socket } });
  try {
    const get = (query = "") => fetch(`http://taskmaster/v1/processes${query}`, { client });
    const response = await get();
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/json");
    const list = await response.json() as Record<string, unknown>[];
    // By program name, then instance number (zeta:10 after zeta:9).
    assert.deepEqual(
      list.map((p) => p.name),
      ["alpha", ...Array.from({ length: N }, (_, i) => `zeta:${i}`)],
    );
    assert.equal(list[0]!.pid, alpha.pid);
    assert.equal(list[0]!.state, "RUNNING");
    for (const p of list) {
      assert.deepEqual(p.dropped_bytes, { stdout: 0, stderr: 0 }, String(p.name));
      assert.equal(typeof p.cpu_percent, "number");
      assert.equal(typeof p.rss_bytes, "number");
    }
    assert.ok((list[0]!.rss_bytes as number) > 0, "the running one's memory is sampled");
    assert.equal(list[N]!.state, "STOPPED");

    const someText = await (await get("?names=zeta:249&names=alpha")).text();
    const some = JSON.parse(someText) as { name: string }[];
    assert.deepEqual(some.map((p) => p.name), ["alpha", "zeta:249"]);
    assert.equal(someText, JSON.stringify(some), "compact JSON, as JSON.stringify writes it");
    const oneText = await (await get("?names=zeta:100")).text();
    assert.equal(oneText, JSON.stringify(JSON.parse(oneText)));
    assert.equal((JSON.parse(oneText) as unknown[]).length, 1);
    const unknown = await get("?names=nope");
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json() as { error: { code: string } }).error.code, "BAD_NAME");
  } finally {
    client.close();
  }
  const ctl = await runTaskmaster(["ctl", "-s", d.socket, "status"]);
  assert.equal(ctl.code, 3, "some are not running (supervisorctl's LSB status code)");
  assert.equal(
    ctl.stdout.trimEnd().split("\n").filter((l) => /^(alpha|zeta:\d+)\s/.test(l)).length,
    N + 1,
  );
});
