/**
 * API fuzzer: a real daemon gets truncated and malformed requests, huge
 * headers and bodies, invalid JSON, unknown routes, slow-loris connections,
 * stalled readers of a fast producer and a connection flood. Every request
 * gets a 4xx or is closed, a well-behaved client keeps being answered, the
 * daemon's memory stays bounded, and it never dies.
 */
import assert from "node:assert/strict";
import { TestDaemon } from "../_helpers/daemon.ts";
import { prng } from "./config_mutations.ts";

const encoder = new TextEncoder();

/** Sends `request` on a fresh connection; the status code, or 0 when closed without one. */
async function exchange(path: string, request: Uint8Array, halfClose = true): Promise<number> {
  const conn = await Deno.connect({ transport: "unix", path });
  try {
    await conn.write(request).catch(() => {});
    if (halfClose) await conn.closeWrite().catch(() => {});
    const buffer = new Uint8Array(4096);
    let text = "";
    // An incomplete request that is not half-closed may rightly wait for the rest.
    const deadline = Date.now() + (halfClose ? 15_000 : 2_000);
    while (!text.includes("\r\n") && Date.now() < deadline) {
      const n = await Promise.race([
        conn.read(buffer).catch(() => null),
        new Promise<"late">((r) => setTimeout(() => r("late"), Math.max(0, deadline - Date.now()))),
      ]);
      if (n === null || n === "late") break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
    const status = text.match(/^HTTP\/1\.1 (\d{3}) /);
    return status === null ? 0 : Number(status[1]);
  } finally {
    conn.close();
  }
}

function rss(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1] ?? 0) * 1024;
}

const ROUTES = [
  "/v1/start",
  "/v1/stop",
  "/v1/signal",
  "/v1/processes",
  "/v1/nope",
  "/",
  "/v1/processes/web/stdin",
];

/** One hostile request for `rnd`. */
function hostileRequest(rnd: () => number): { bytes: Uint8Array; what: string } {
  const route = ROUTES[Math.floor(rnd() * ROUTES.length)]!;
  const kind = Math.floor(rnd() * 8);
  const junk = () =>
    Array.from({ length: 1 + Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256));
  switch (kind) {
    case 0:
      return { bytes: new Uint8Array(junk()), what: "binary junk" };
    case 1: {
      const full =
        `POST ${route} HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n{"names": ["web"]}`;
      return {
        bytes: encoder.encode(full.slice(0, Math.floor(rnd() * full.length))),
        what: "truncated",
      };
    }
    case 2:
      return {
        bytes: encoder.encode(
          `GET ${route} HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(200_000)}\r\n\r\n`,
        ),
        what: "huge header",
      };
    case 3:
      return {
        bytes: encoder.encode(
          `POST ${route} HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n${
            "{".repeat(100_000)
          }`,
        ),
        what: "huge body",
      };
    case 4: {
      const jsonRoute = [
        "/v1/start",
        "/v1/stop",
        "/v1/signal",
        "/v1/restart",
      ][Math.floor(rnd() * 4)]!;
      const body = [
        '{"names":',
        "[1,2]",
        '{"names": "web"}',
        "null",
        '{"names": []}',
        "\u00ff\u00fe",
      ][Math.floor(rnd() * 6)]!;
      return {
        bytes: encoder.encode(
          `POST ${jsonRoute} HTTP/1.1\r\nHost: x\r\nContent-Length: ${
            encoder.encode(body).length
          }\r\nConnection: close\r\n\r\n${body}`,
        ),
        what: "invalid JSON",
      };
    }
    case 5:
      return {
        bytes: encoder.encode(
          `GET /v1/${
            "x".repeat(Math.floor(rnd() * 5000))
          } HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        ),
        what: "unknown route",
      };
    case 6:
      return {
        bytes: encoder.encode(`BREW ${route} HTTP/3.7\r\n\r\n`),
        what: "bad method and version",
      };
    default:
      return {
        bytes: encoder.encode(
          `POST ${route} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
        ),
        what: "bad chunk",
      };
  }
}

Deno.test("API fuzzer: hostile clients get 4xx or a closed connection; a good client is still answered; memory bounded; the daemon lives", async () => {
  await using d = await TestDaemon.start(`
taskmaster:
  max_connections: 64
programs:
  web:
    cmd: /bin/sleep 1016
    starttime: 0
  producer:
    cmd: /bin/sh -c 'yes "a fast producer line of output that nobody reads"'
    starttime: 0
    stdout: none
    stderr: none
`);
  const path = d.socket;
  await d.waitState("producer", "RUNNING");
  const rssBefore = rss(d.child.pid);
  const rnd = prng(11);

  // The good client: asks every 50 ms throughout and records each wait.
  const waits: number[] = [];
  let hostileDone = false;
  const good = (async () => {
    while (!hostileDone) {
      const start = performance.now();
      const status = await exchange(
        path,
        encoder.encode("GET /v1/daemon HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      );
      if (status === 200) waits.push(performance.now() - start);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  // Stalled readers of a fast producer, and slow-loris connections, held throughout.
  const held: Deno.Conn[] = [];
  for (let i = 0; i < 8; i++) {
    const conn = await Deno.connect({ transport: "unix", path });
    await conn.write(
      encoder.encode("GET /v1/processes/producer/stdout/follow HTTP/1.1\r\nHost: x\r\n\r\n"),
    );
    held.push(conn);
  }
  for (let i = 0; i < 8; i++) {
    const conn = await Deno.connect({ transport: "unix", path });
    await conn.write(encoder.encode("GET /v1/daemon HTTP/1.1\r\nHo"));
    held.push(conn);
  }

  const bad: string[] = [];
  for (let batch = 0; batch < 12; batch++) {
    const requests = Array.from(
      { length: 10 },
      () => ({ ...hostileRequest(rnd), half: rnd() < 0.8 }),
    );
    await Promise.all(requests.map(async ({ bytes, what, half }) => {
      const status = await exchange(path, bytes, half);
      if (status !== 0 && (status < 400 || status >= 500)) bad.push(`${what}: ${status}`);
    }));
  }
  // A flood: more connections at once than max_connections; the excess is closed.
  const flood = await Promise.all(
    Array.from({ length: 200 }, () => Deno.connect({ transport: "unix", path }).catch(() => null)),
  );
  for (const conn of flood) conn?.close();

  // Stalled readers have been pinning output for a while: memory must not have followed.
  const samples: number[] = [];
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 1_000));
    samples.push(Math.round((rss(d.child.pid) - rssBefore) / 1048576));
  }
  const rssDuring = rss(d.child.pid);
  for (const conn of held) conn.close();
  hostileDone = true;
  await good;

  assert.deepEqual(bad, []);
  assert.ok(waits.length > 0, "the good client was answered");
  // Only a real stall (the 66 s freeze an alias bomb caused) fails here: the suite
  // shares 2 cores with 8 others; `deno task soak` reports the slowest answer.
  const slowest = Math.max(...waits);
  assert.ok(slowest < 10_000, `slowest answer to the good client: ${Math.round(slowest)} ms`);
  // The followers share one 1 MiB window (+23 MB measured, flat over 6 s; 52-82 MB when
  // each follower had its own copies). Before the byte bound: +580 MB in 10 s.
  assert.ok(
    rssDuring - rssBefore < 128 * 1024 * 1024,
    `RSS grew by ${samples.join(", ")} MB (sampled each second) with 8 stalled readers`,
  );
  const daemon = await d.port.daemonPid();
  assert.equal(daemon, d.child.pid);
});
