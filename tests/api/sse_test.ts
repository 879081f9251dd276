import assert from "node:assert/strict";
import { readSse } from "../../src/api/_sse.ts";

function bodyOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return ReadableStream.from(chunks.map((c) => encoder.encode(c)));
}

async function collect(chunks: string[]) {
  const events = [];
  for await (const event of readSse(bodyOf(chunks))) events.push(event);
  return events;
}

Deno.test("readSse() yields named events, skipping comments and keep-alives", async () => {
  assert.deepEqual(
    await collect([
      ": taskmaster events\n\n",
      'event: state\ndata: {"to":"RUNNING"}\n\n',
      ": keep-alive\n\n",
      "data: plain\n\n",
    ]),
    [{ event: "state", data: '{"to":"RUNNING"}' }, { event: "message", data: "plain" }],
  );
});

Deno.test("readSse() joins fields split across chunks, CRLF line ends and multi-line data", async () => {
  assert.deepEqual(
    await collect(["ev", "ent: log\r\nda", "ta: one\r\ndata: two\r", "\n\r\n", "event: x\n"]),
    [{ event: "log", data: "one\ntwo" }],
  );
});
