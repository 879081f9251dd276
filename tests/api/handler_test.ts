import assert from "node:assert/strict";
import { createApp } from "../../src/api/handler.ts";
import { TaskmasterError } from "../../src/util/errors.ts";
import { FakePort, waitFor, webAndDb } from "../_helpers/fake_port.ts";

const BASE = "http://localhost";

function setup(options: { heartbeatMs?: number } = {}) {
  const port = new FakePort(webAndDb());
  const closing = new AbortController();
  const app = createApp(port, { signal: closing.signal, ...options });
  const call = (method: string, path: string, body?: BodyInit) =>
    Promise.resolve(app.fetch(new Request(BASE + path, { method, body })));
  return { port, app, call, closing };
}

async function json(response: Response): Promise<unknown> {
  assert.match(response.headers.get("content-type") ?? "", /application\/json/);
  return await response.json();
}

async function expectError(response: Response, status: number, code: string, message?: RegExp) {
  assert.equal(response.status, status);
  const body = await json(response) as { error: { code: string; message: string } };
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, "string");
  if (message) assert.match(body.error.message, message);
}

Deno.test("createApp() GET /v1/daemon returns pid and version", async () => {
  const { call } = setup();
  const response = await call("GET", "/v1/daemon");
  assert.equal(response.status, 200);
  assert.deepEqual(await json(response), { pid: 4242, version: "0.1.0" });
});

Deno.test("createApp() GET /v1/processes lists all or the named ones", async () => {
  const { call, port } = setup();
  const all = await json(await call("GET", "/v1/processes")) as { name: string }[];
  assert.deepEqual(all.map((p) => p.name), ["web:0", "web:1", "db"]);
  const some = await json(await call("GET", "/v1/processes?names=db,web:1")) as { name: string }[];
  assert.deepEqual(some.map((p) => p.name), ["db", "web:1"]);
  await call("GET", "/v1/processes?names=db&names=web");
  assert.deepEqual(port.calls.map((c) => c.args[0]), [undefined, ["db", "web:1"], ["db", "web"]]);
  await expectError(await call("GET", "/v1/processes?names=nope"), 404, "BAD_NAME", /nope/);
});

Deno.test("createApp() GET /v1/processes sends a port's statusJson stream as the JSON answer", async () => {
  // A port that writes the list itself (the daemon's, a slice at a time).
  const port = new FakePort(webAndDb());
  const pieces = ['[{"name":"db"}', ',{"name":"web:0"}', "]"];
  const asked: (readonly string[] | undefined)[] = [];
  const streaming = Object.assign(port, {
    statusJson(names?: readonly string[]): Promise<ReadableStream<Uint8Array>> {
      asked.push(names);
      if (names?.includes("nope")) {
        return Promise.reject(new TaskmasterError("BAD_NAME", "no such process: nope"));
      }
      const bytes = pieces.map((piece) => new TextEncoder().encode(piece));
      return Promise.resolve(ReadableStream.from(bytes));
    },
  });
  const app = createApp(streaming);
  const call = (path: string) => Promise.resolve(app.fetch(new Request(BASE + path)));
  const response = await call("/v1/processes?names=db,web:0");
  assert.equal(response.status, 200);
  assert.deepEqual(await json(response), [{ name: "db" }, { name: "web:0" }]);
  await expectError(await call("/v1/processes?names=nope"), 404, "BAD_NAME", /nope/);
  assert.deepEqual(asked, [["db", "web:0"], ["nope"]]);
  assert.deepEqual(port.calls.filter((c) => c.method === "status"), [], "status() not asked");
});

Deno.test("createApp() GET /v1/processes/:name returns one process", async () => {
  const { call } = setup();
  const db = await json(await call("GET", "/v1/processes/db")) as { name: string; state: string };
  assert.equal(db.name, "db");
  assert.equal(db.state, "STOPPED");
  const web0 = await json(await call("GET", "/v1/processes/web%3A0")) as { name: string };
  assert.equal(web0.name, "web:0");
  assert.equal(
    (await json(await call("GET", "/v1/processes/web:1")) as { name: string }).name,
    "web:1",
  );
  await expectError(await call("GET", "/v1/processes/web"), 404, "BAD_NAME", /2 instances/);
  await expectError(await call("GET", "/v1/processes/nope"), 404, "BAD_NAME");
});

for (const action of ["start", "stop", "restart", "clear"] as const) {
  Deno.test(`createApp() POST /v1/${action} passes names and returns ActionResults`, async () => {
    const { call, port } = setup();
    const response = await call("POST", `/v1/${action}`, JSON.stringify({ names: ["db", "web"] }));
    assert.equal(response.status, 200);
    const results = await json(response) as { name: string; ok: boolean }[];
    assert.deepEqual(results.map((r) => r.name), ["db", "web:0", "web:1"]);
    assert.deepEqual(port.calls, [{ method: action, args: [["db", "web"]] }]);
    await expectError(
      await call("POST", `/v1/${action}`, JSON.stringify({ names: ["ghost"] })),
      404,
      "BAD_NAME",
    );
  });
}

Deno.test("createApp() a per-instance failure is a 200 with ok false", async () => {
  const { call } = setup();
  const response = await call("POST", "/v1/start", JSON.stringify({ names: ["all"] }));
  assert.equal(response.status, 200);
  assert.deepEqual(await json(response), [
    { name: "web:0", ok: false, error: { code: "ALREADY_STARTED", message: "already started" } },
    { name: "web:1", ok: false, error: { code: "ALREADY_STARTED", message: "already started" } },
    { name: "db", ok: true },
  ]);
});

Deno.test("createApp() POST /v1/signal takes a name or a number", async () => {
  const { call, port } = setup();
  assert.equal((await call("POST", "/v1/signal", '{"signal":"HUP","names":["web"]}')).status, 200);
  assert.equal((await call("POST", "/v1/signal", '{"signal":10,"names":["db"]}')).status, 200);
  assert.deepEqual(port.calls.map((c) => c.args), [["HUP", ["web"]], ["10", ["db"]]]);
  await expectError(
    await call("POST", "/v1/signal", '{"signal":"bo gus","names":["db"]}'),
    400,
    "BAD_SIGNAL",
  );
  await expectError(
    await call("POST", "/v1/signal", '{"names":["db"]}'),
    400,
    "BAD_REQUEST",
    /signal/,
  );
  await expectError(
    await call("POST", "/v1/signal", '{"signal":1.5,"names":["db"]}'),
    400,
    "BAD_REQUEST",
  );
});

Deno.test("createApp() per_name: unknown names and a bad signal come back as results, 200", async () => {
  const { call, port } = setup();
  const started = await call(
    "POST",
    "/v1/start",
    JSON.stringify({ names: ["ghost", "db"], per_name: true }),
  );
  assert.equal(started.status, 200);
  assert.deepEqual(await json(started), [
    { name: "ghost", ok: false, error: { code: "BAD_NAME", message: "no such process: ghost" } },
    { name: "db", ok: true },
  ]);
  assert.deepEqual(port.calls.at(-1), {
    method: "start",
    args: [["ghost", "db"]],
  });
  assert.deepEqual(port.options.at(-1), { perName: true });
  const signalled = await call(
    "POST",
    "/v1/signal",
    '{"signal":"bo gus","names":["db"],"per_name":true}',
  );
  assert.equal(signalled.status, 200);
  assert.deepEqual(await json(signalled), [
    { name: "db", ok: false, error: { code: "BAD_SIGNAL", message: "bad signal name" } },
  ]);
  await expectError(
    await call("POST", "/v1/stop", '{"names":["db"],"per_name":"yes"}'),
    400,
    "BAD_REQUEST",
    /per_name/,
  );
});

Deno.test("createApp() POST /v1/restart tags each result with the steps taken", async () => {
  const { call } = setup();
  const response = await call("POST", "/v1/restart", JSON.stringify({ names: ["web:0", "db"] }));
  assert.deepEqual(await json(response), [
    { name: "web:0", ok: true, steps: ["stop", "start"] },
    { name: "db", ok: true, steps: ["start"] },
  ]);
});

Deno.test("createApp() refuses malformed action bodies with 400, never reaching the port", async () => {
  const { call, port } = setup();
  const bad = [
    "",
    "{",
    "null",
    "[]",
    '"web"',
    "{}",
    '{"names":[]}',
    '{"names":"web"}',
    '{"names":[1]}',
    '{"names":[""]}',
    '{"name":["web"]}',
    '{"names":["web"],"force":true}',
    new Uint8Array([0xff, 0xfe, 0x7b]),
  ];
  for (const body of bad) {
    await expectError(await call("POST", "/v1/stop", body), 400, "BAD_REQUEST");
  }
  assert.deepEqual(port.calls, []);
  const huge = JSON.stringify({ names: Array.from({ length: 20_000 }, (_, i) => `p${i}`) });
  await expectError(await call("POST", "/v1/stop", huge), 413, "BAD_REQUEST", /too large/);
});

Deno.test("createApp() POST /v1/reload returns the report; BAD_CONFIG is 422", async () => {
  const { call, port } = setup();
  assert.deepEqual(await json(await call("POST", "/v1/reload")), port.reloadReport);
  port.failNext = new TaskmasterError("BAD_CONFIG", "x.yaml:3:5: programs.web.cmd: required");
  await expectError(await call("POST", "/v1/reload"), 422, "BAD_CONFIG", /x\.yaml:3:5/);
});

Deno.test("createApp() POST /v1/shutdown, then SHUTTING_DOWN is 503", async () => {
  const { call } = setup();
  assert.deepEqual(await json(await call("POST", "/v1/shutdown")), { ok: true });
  await expectError(await call("GET", "/v1/processes"), 503, "SHUTTING_DOWN");
});

Deno.test("createApp() maps every error code to its status", async () => {
  const { call, port } = setup();
  const table = [
    ["BAD_NAME", 404],
    ["NO_FILE", 404],
    ["BAD_SIGNAL", 400],
    ["BAD_ARGUMENTS", 400],
    ["BAD_REQUEST", 400],
    ["ALREADY_STARTED", 409],
    ["NOT_RUNNING", 409],
    ["BAD_CONFIG", 422],
    ["SHUTTING_DOWN", 503],
    ["SPAWN_ERROR", 500],
    ["ABNORMAL_TERMINATION", 500],
    ["INTERNAL", 500],
  ] as const;
  for (const [code, status] of table) {
    port.failNext = new TaskmasterError(code, `boom ${code}`);
    await expectError(await call("GET", "/v1/daemon"), status, code, new RegExp(`boom ${code}`));
  }
});

Deno.test("createApp() a bug in the port is a 500 INTERNAL and is reported", async () => {
  const port = new FakePort(webAndDb());
  const seen: unknown[] = [];
  const app = createApp(port, { onInternalError: (error) => seen.push(error) });
  port.failNext = new RangeError("oops");
  const response = await app.fetch(new Request(`${BASE}/v1/processes`));
  await expectError(response, 500, "INTERNAL", /oops/);
  assert.equal(seen.length, 1);
  // A TaskmasterError look-alike from another module keeps its code.
  port.failNext = Object.assign(new Error("not running"), { code: "NOT_RUNNING" });
  await expectError(await app.fetch(new Request(`${BASE}/v1/daemon`)), 409, "NOT_RUNNING");
  assert.equal(seen.length, 1);
});

Deno.test("createApp() unknown routes are 404 and wrong methods 405 with Allow", async () => {
  const { call, port } = setup();
  await expectError(await call("GET", "/v1/nope"), 404, "BAD_REQUEST", /no such endpoint/);
  await expectError(await call("GET", "/"), 404, "BAD_REQUEST");
  await expectError(await call("GET", "/v2/daemon"), 404, "BAD_REQUEST");
  await expectError(await call("GET", "/v1/processes/web:0/stdlog"), 404, "BAD_REQUEST");
  const wrong = await call("GET", "/v1/start");
  assert.equal(wrong.headers.get("allow"), "POST");
  await expectError(wrong, 405, "BAD_REQUEST", /use POST/);
  await expectError(await call("DELETE", "/v1/processes"), 405, "BAD_REQUEST");
  await expectError(await call("POST", "/v1/daemon"), 405, "BAD_REQUEST");
  await expectError(await call("PUT", "/v1/processes/db/stdin", "x"), 405, "BAD_REQUEST");
  assert.deepEqual(port.calls, []);
});

Deno.test("createApp() GET tail of stdout/stderr with ?lines", async () => {
  const { call, port } = setup();
  const response = await call("GET", "/v1/processes/web:0/stderr?lines=2");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /text\/plain/);
  assert.equal(await response.text(), "web:0 stderr line 1 é\nweb:0 stderr line 2 é\n");
  const ten = Array.from({ length: 10 }, (_, i) => `db stdout line ${i + 1} é\n`).join("");
  assert.equal(await (await call("GET", "/v1/processes/db/stdout")).text(), ten);
  assert.deepEqual(port.calls.map((c) => c.args), [["web:0", "stderr", 2], ["db", "stdout", 10]]);
  await expectError(await call("GET", "/v1/processes/db/stderr"), 404, "NO_FILE");
  for (const lines of ["-1", "x", "1.5", "99999999", "1e3"]) {
    await expectError(
      await call("GET", `/v1/processes/db/stdout?lines=${lines}`),
      400,
      "BAD_REQUEST",
    );
  }
});

Deno.test("createApp() GET /v1/log returns the event log tail", async () => {
  const { call } = setup();
  assert.equal(await (await call("GET", "/v1/log?lines=3")).text(), "log 1\nlog 2\nlog 3\n");
  await expectError(await call("GET", "/v1/log?lines=abc"), 400, "BAD_REQUEST");
});

Deno.test("createApp() POST stdin passes the raw bytes", async () => {
  const { call, port } = setup();
  const bytes = new Uint8Array([104, 105, 10, 0, 255]);
  assert.deepEqual(await json(await call("POST", "/v1/processes/web:1/stdin", bytes)), {
    ok: true,
  });
  assert.deepEqual(port.stdin, [{ name: "web:1", data: bytes }]);
  await expectError(await call("POST", "/v1/processes/db/stdin", "x"), 409, "NOT_RUNNING");
  await expectError(await call("POST", "/v1/processes/ghost/stdin", "x"), 404, "BAD_NAME");
});

async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  done: (text: string) => boolean,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  while (!done(text)) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

Deno.test("createApp() GET /v1/events streams SSE and ends on cancel", async () => {
  const { call, port } = setup();
  const response = await call("GET", "/v1/events");
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/event-stream");
  const reader = response.body!.getReader();
  await waitFor(() => port.eventFeed.open === 1, "the events watcher");
  const change = { name: "db", program: "db", from: "STOPPED", to: "STARTING", pid: null, at: 1 };
  port.eventFeed.push(change as never);
  const text = await readUntil(reader, (t) => t.includes("}\n\n"));
  assert.equal(text, `: taskmaster events\n\nevent: state\ndata: ${JSON.stringify(change)}\n\n`);
  await reader.cancel();
  await waitFor(() => port.eventFeed.open === 0, "the watcher to be dropped");
});

Deno.test("createApp() streams end when the closing signal aborts", async () => {
  const { call, port, closing } = setup();
  const events = await call("GET", "/v1/events");
  const log = await call("GET", "/v1/log/follow");
  const output = await call("GET", "/v1/processes/web:0/stdout/follow");
  await waitFor(
    () => port.eventFeed.open + port.logFeed.open + port.outputFeed.open === 3,
    "3 feeds",
  );
  port.logFeed.push("a line\n");
  port.outputFeed.push(new Uint8Array([1, 2, 3]));
  const logReader = log.body!.getReader();
  const outputReader = output.body!.getReader();
  const logText = await readUntil(logReader, (t) => t.endsWith('"\n\n'));
  assert.equal(logText, ': taskmaster log\n\nevent: log\ndata: "a line\\n"\n\n');
  assert.deepEqual((await outputReader.read()).value, new Uint8Array([1, 2, 3]));
  closing.abort();
  // Each body now ends (done), rather than hanging or erroring.
  assert.equal(await readUntil(logReader, () => false), "");
  assert.equal((await outputReader.read()).done, true);
  assert.equal(await events.text(), ": taskmaster events\n\n");
  await waitFor(
    () => port.eventFeed.open + port.logFeed.open + port.outputFeed.open === 0,
    "0 feeds",
  );
});

Deno.test("createApp() follow errors before streaming are HTTP errors", async () => {
  const { call, port } = setup();
  await expectError(await call("GET", "/v1/processes/ghost/stdout/follow"), 404, "BAD_NAME");
  await expectError(await call("GET", "/v1/processes/db/stderr/follow"), 404, "NO_FILE");
  await expectError(await call("GET", "/v1/processes/web/stdout/follow"), 404, "BAD_NAME");
  port.shuttingDown = true;
  await expectError(await call("GET", "/v1/events"), 503, "SHUTTING_DOWN");
  await expectError(await call("GET", "/v1/log/follow"), 503, "SHUTTING_DOWN");
  assert.equal(port.outputFeed.open + port.eventFeed.open + port.logFeed.open, 0);
});

Deno.test("createApp() a mid-stream SSE error is sent as an error event", async () => {
  const port = new FakePort(webAndDb());
  // deno-lint-ignore require-yield
  const vanishing = async function* (): AsyncGenerator<string> {
    await new Promise((r) => setTimeout(r, 20));
    throw new TaskmasterError("INTERNAL", "log file vanished");
  };
  port.logFollow = () => Promise.resolve(vanishing());
  const app = createApp(port);
  const text = await (await app.fetch(new Request(`${BASE}/v1/log/follow`))).text();
  assert.equal(
    text,
    ': taskmaster log\n\nevent: error\ndata: {"code":"INTERNAL","message":"log file vanished"}\n\n',
  );
});

Deno.test("createApp() SSE sends keep-alive comments while idle", async () => {
  const { call, port, closing } = setup({ heartbeatMs: 10 });
  const response = await call("GET", "/v1/events");
  const reader = response.body!.getReader();
  const text = await readUntil(reader, (t) => t.includes(": keep-alive\n\n: keep-alive"));
  assert.ok(text.startsWith(": taskmaster events\n\n: keep-alive\n\n"));
  closing.abort();
  await readUntil(reader, () => false);
  await waitFor(() => port.eventFeed.open === 0, "the watcher to be dropped");
});
