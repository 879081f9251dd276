import assert from "node:assert/strict";
import { HttpError, readBody } from "../../src/api/_http.ts";
import { exchangeRaw } from "../_helpers/raw_http.ts";

/**
 * readBody() behind a real Deno.serve on a unix socket, spoken to with raw
 * HTTP/1.1 so a test can declare one length and send less, or stall.
 */
async function withBodyServer(
  limit: number,
  timeoutMs: number,
  fn: (send: (request: string, closeWrite?: boolean) => Promise<string>) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tm-body-" });
  const path = `${dir}/body.sock`;
  const server = Deno.serve({ path, onListen() {} }, async (request) => {
    try {
      const body = await readBody(request, limit, timeoutMs);
      return new Response(`got ${body.length}: ${new TextDecoder().decode(body)}`);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return new Response(error.message, { status: error.status });
    }
  });
  const send = (request: string, closeWrite = false) => exchangeRaw(path, request, { closeWrite });
  try {
    await fn(send);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

const post = (headers: string, body: string) =>
  `POST /v1/stop HTTP/1.1\r\nHost: x\r\n${headers}\r\n${body}`;

Deno.test("readBody() returns a declared body whole, byte for byte", async () => {
  await withBodyServer(1024, 5_000, async (send) => {
    const body = JSON.stringify({ names: ["web", "été"] });
    const length = new TextEncoder().encode(body).length;
    const answer = await send(post(`Content-Length: ${length}\r\n`, body));
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.ok(answer.endsWith(`got ${length}: ${body}`), answer);
  });
});

Deno.test("readBody() answers 408 when a declared body stalls, and serves the next request", async () => {
  await withBodyServer(1024, 300, async (send) => {
    const started = performance.now();
    const answer = await send(post("Content-Length: 20\r\n", '{"names":'));
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /request body not received within 0\.3 s/);
    assert.ok(performance.now() - started >= 250, "not before the timeout");
    const next = await send(post("Content-Length: 2\r\n", "{}"));
    assert.match(next, /got 2: \{\}$/);
  });
});

Deno.test("readBody() answers 408 when a chunked body stalls", async () => {
  await withBodyServer(1024, 300, async (send) => {
    const answer = await send(post("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n"));
    assert.match(answer, /^HTTP\/1\.1 408 /);
  });
});

Deno.test("readBody() answers 400 when a declared body is cut short by a half-close", async () => {
  await withBodyServer(1024, 5_000, async (send) => {
    const answer = await send(post("Content-Length: 50\r\n", '{"names":'), true);
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /request body ended early/);
  });
});

Deno.test("a chunked body that also declares a small length never gets past the limit", async () => {
  await withBodyServer(16, 5_000, async (send) => {
    const chunk = "x".repeat(40);
    const answer = await send(
      post("Content-Length: 2\r\nTransfer-Encoding: chunked\r\n", `28\r\n${chunk}\r\n0\r\n\r\n`),
    );
    // Deno's HTTP server refuses the pair itself (400); readBody would count it (413).
    assert.match(answer, /^HTTP\/1\.1 (400|413) /);
    assert.doesNotMatch(answer, /got \d+/);
  });
});

Deno.test("readBody() refuses a declared or a chunked body over the limit with 413", async () => {
  await withBodyServer(16, 5_000, async (send) => {
    const declared = await send(post("Content-Length: 17\r\n", "x".repeat(17)));
    assert.match(declared, /^HTTP\/1\.1 413 /);
    assert.match(declared, /17 bytes, the limit is 16/);
    const chunk = "x".repeat(17);
    const chunked = await send(
      post("Transfer-Encoding: chunked\r\n", `11\r\n${chunk}\r\n0\r\n\r\n`),
    );
    assert.match(chunked, /^HTTP\/1\.1 413 /);
    assert.match(chunked, /more than 16 bytes/);
  });
});
