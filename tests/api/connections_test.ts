import assert from "node:assert/strict";
import { serveControlApi, type ServeOptions } from "../../src/api/server.ts";
import { connectClient } from "../../src/api/client.ts";
import { FakePort, waitFor, webAndDb } from "../_helpers/fake_port.ts";
import { readAnswer } from "../_helpers/raw_http.ts";

async function withServer(
  options: Omit<ServeOptions, "path">,
  fn: (ctx: { path: string; stats: () => { open: number; refused: number } }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tm-conn-" });
  const path = `${dir}/taskmaster.sock`;
  const server = await serveControlApi(new FakePort(webAndDb()), { path, ...options });
  try {
    await fn({ path, stats: () => server.stats });
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const encoder = new TextEncoder();

/** Reads until the server closes the connection (null) or `ms` pass ("open"). */
async function readUntilClosed(conn: Deno.Conn, ms: number): Promise<string | "open"> {
  const buffer = new Uint8Array(65536);
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"open">((resolve) => timer = setTimeout(() => resolve("open"), ms));
  try {
    for (;;) {
      const n = await Promise.race([conn.read(buffer).catch(() => null), timeout]);
      if (n === "open") return "open";
      if (n === null) return text;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
  } finally {
    clearTimeout(timer);
  }
}

Deno.test({
  name: "serveControlApi() closes a connection over max_connections at once and counts it",
}, async () => {
  await withServer({ maxConnections: 2 }, async ({ path, stats }) => {
    const held = [
      await Deno.connect({ transport: "unix", path }),
      await Deno.connect({ transport: "unix", path }),
    ];
    await waitFor(() => stats().open === 2);
    const third = await Deno.connect({ transport: "unix", path });
    assert.equal(await readUntilClosed(third, 5_000), "");
    third.close();
    assert.equal(stats().refused, 1);
    for (const conn of held) conn.close();
    await waitFor(() => stats().open === 0);
    using client = connectClient(path);
    assert.equal(await client.daemonPid(), 4242);
  });
});

Deno.test({
  name: "serveControlApi() closes a slow-loris connection that never finishes its headers",
}, async () => {
  await withServer({ idleTimeoutMs: 300 }, async ({ path }) => {
    const loris = await Deno.connect({ transport: "unix", path });
    await loris.write(encoder.encode("GET /v1/daemon HTTP/1.1\r\nHost: x\r\n"));
    assert.equal(await readUntilClosed(loris, 10_000), "");
    loris.close();
  });
});

Deno.test({
  name: "serveControlApi() closes a keep-alive connection idle for idleTimeoutMs, not one in use",
}, async () => {
  await withServer({ idleTimeoutMs: 500 }, async ({ path }) => {
    const request = encoder.encode("GET /v1/daemon HTTP/1.1\r\nHost: x\r\n\r\n");
    const idle = await Deno.connect({ transport: "unix", path });
    const busy = await Deno.connect({ transport: "unix", path });
    await idle.write(request);
    assert.match(await readAnswer(idle), /^HTTP\/1\.1 200 /);
    const answeredAt = performance.now();
    const closedAt = readUntilClosed(idle, 10_000).then((end) => {
      assert.equal(end, "");
      return performance.now();
    });
    closedAt.catch(() => {}); // awaited below; a failed assertion before then must not leave it unhandled
    // Requests 200 ms apart, for longer than the idle timeout: each one is answered.
    for (let i = 0; i < 6; i++) {
      await busy.write(request);
      assert.match(await readAnswer(busy), /^HTTP\/1\.1 200 /);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const idleFor = (await closedAt) - answeredAt;
    assert.ok(idleFor >= 450, `closed after ${idleFor.toFixed(0)} ms, before its idle timeout`);
    assert.ok(idleFor < 5_000, `closed only after ${idleFor.toFixed(0)} ms`);
    await busy.write(request);
    assert.match(await readAnswer(busy), /^HTTP\/1\.1 200 /);
    idle.close();
    busy.close();
  });
});

Deno.test({
  name: "serveControlApi() answers 400 to a body cut short by a half-close",
}, async () => {
  await withServer({}, async ({ path }) => {
    const conn = await Deno.connect({ transport: "unix", path });
    await conn.write(encoder.encode(
      'POST /v1/start HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"names": ["w',
    ));
    await conn.closeWrite();
    const answer = await readUntilClosed(conn, 10_000);
    conn.close();
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /"code":"BAD_REQUEST"/);
  });
});

Deno.test({
  name: "GET /v1/daemon shows open and refused control connections",
}, async () => {
  await withServer({}, async ({ path }) => {
    const client = Deno.createHttpClient({ proxy: { transport: "unix", path } });
    const body = await (await fetch("http://localhost/v1/daemon", { client })).json();
    client.close();
    assert.equal(body.connections.refused, 0);
    assert.ok(body.connections.open >= 1);
  });
});
