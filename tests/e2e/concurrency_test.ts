import assert from "node:assert/strict";
import { connectClient } from "../../src/api/client.ts";
import { TestDaemon } from "../_helpers/daemon.ts";

Deno.test("20 clients loop status/start/stop while programs crash and restart: every answer is right", async () => {
  await using d = await TestDaemon.start(`
programs:
  steady:
    cmd: /bin/sleep 1000
    numprocs: 4
    starttime: 0
  crashy:
    cmd: /bin/sh -c 'sleep 0.05; exit 1'
    numprocs: 2
    starttime: 0
    autorestart: always
  toggled:
    cmd: /bin/sleep 1000
    numprocs: 5
    starttime: 0
`);
  const names = ["steady:0", "steady:1", "steady:2", "steady:3", "crashy:0", "crashy:1"]
    .concat(Array.from({ length: 5 }, (_, i) => `toggled:${i}`));
  const clients = Array.from({ length: 20 }, () => connectClient(d.socket));
  try {
    await Promise.all(clients.map(async (client, i) => {
      const mine = `toggled:${i % 5}`;
      for (let round = 0; round < 8; round++) {
        const list = await client.status();
        assert.deepEqual(list.map((p) => p.name).sort(), [...names].sort());
        for (const p of list) {
          assert.equal(p.pid === null, !["RUNNING", "STARTING", "STOPPING"].includes(p.state));
        }
        const [stopped] = await client.stop([mine]);
        assert.equal(stopped?.name, mine);
        assert.ok(stopped!.ok || stopped!.error?.code === "NOT_RUNNING", JSON.stringify(stopped));
        const [started] = await client.start([mine]);
        assert.equal(started?.name, mine);
        // Four clients share each instance: a start may come while another
        // client's stop is under way, and is then refused (supervisord too).
        assert.ok(
          started!.ok || started!.error?.code === "ALREADY_STARTED" ||
            (started!.error?.code === "NOT_RUNNING" &&
              started!.error.message === `${mine} is stopping`),
          JSON.stringify(started),
        );
        await assert.rejects(
          client.status(["nosuch"]),
          (e: Error & { code?: string }) => e.code === "BAD_NAME",
        );
      }
    }));
  } finally {
    for (const client of clients) client.close();
  }
  const final = await d.status();
  assert.ok(final.filter((p) => p.program !== "crashy").every((p) => p.state === "RUNNING"));
  assert.ok(await d.port.daemonPid() > 0, "daemon alive");
});
