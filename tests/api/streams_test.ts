import assert from "node:assert/strict";
import { serveControlApi } from "../../src/api/server.ts";
import { connectClient } from "../../src/api/client.ts";
import type { StateChange } from "../../src/api/protocol.ts";
import { TaskmasterError } from "../../src/util/errors.ts";
import { FakePort, waitFor, webAndDb } from "../_helpers/fake_port.ts";

async function withServer(fn: (path: string, port: FakePort) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tm-api-" });
  const path = `${dir}/taskmaster.sock`;
  const port = new FakePort(webAndDb());
  const server = await serveControlApi(port, { path });
  try {
    await fn(path, port);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const change: StateChange = {
  name: "db",
  program: "db",
  from: "STOPPED",
  to: "STARTING",
  pid: null,
  at: 1_700_000_000_000,
};

Deno.test({
  name: "connectClient().events() yields SSE state changes and ends when aborted",
  fn: () =>
    withServer(async (path, port) => {
      using client = connectClient(path);
      const abort = new AbortController();
      const seen: StateChange[] = [];
      const done = (async () => {
        for await (const event of await client.events(abort.signal)) {
          seen.push(event);
          if (seen.length === 2) abort.abort();
        }
      })();
      await waitFor(() => port.eventFeed.open === 1, "the server-side watcher");
      port.eventFeed.push(change);
      port.eventFeed.push({ ...change, from: "STARTING", to: "RUNNING", pid: 77 });
      await done;
      assert.deepEqual(seen.map((e) => e.to), ["STARTING", "RUNNING"]);
      assert.deepEqual(seen[0], change);
      await waitFor(() => port.eventFeed.open === 0, "the watcher to be dropped");
    }),
});

Deno.test({
  name: "connectClient().follow() streams bytes and ends when aborted",
  fn: () =>
    withServer(async (path, port) => {
      using client = connectClient(path);
      const abort = new AbortController();
      const chunks: number[][] = [];
      const done = (async () => {
        for await (const chunk of await client.follow("web:1", "stdout", abort.signal)) {
          chunks.push([...chunk]);
        }
      })();
      await waitFor(() => port.outputFeed.open === 1, "the follower");
      port.outputFeed.push(new Uint8Array([104, 105, 0, 255]));
      await waitFor(() => chunks.length === 2, "the first chunk");
      abort.abort();
      await done;
      // An empty chunk first: the daemon has subscribed, nothing after it is missed.
      assert.deepEqual(chunks, [[], [104, 105, 0, 255]]);
      await waitFor(() => port.outputFeed.open === 0, "the follower to be dropped");
    }),
});

Deno.test({
  name: "connectClient().logFollow() yields lines exactly; breaking out ends the stream",
  fn: () =>
    withServer(async (path, port) => {
      using client = connectClient(path);
      const lines: string[] = [];
      const done = (async () => {
        for await (const line of await client.logFollow(new AbortController().signal)) {
          lines.push(line);
          if (lines.length === 2) break;
        }
      })();
      await waitFor(() => port.logFeed.open === 1, "the log follower");
      port.logFeed.push('first: with\nnewline and "quotes"\n');
      port.logFeed.push("second");
      await done;
      assert.deepEqual(lines, ['first: with\nnewline and "quotes"\n', "second"]);
      await waitFor(() => port.logFeed.open === 0, "the log follower to be dropped");
    }),
});

Deno.test({
  name: "connectClient() stream errors before streaming keep their code",
  fn: () =>
    withServer(async (path, port) => {
      using client = connectClient(path);
      const signal = new AbortController().signal;
      const drain = async (it: Promise<AsyncIterable<unknown>>) => {
        for await (const _ of await it) { /* nothing arrives */ }
      };
      await assert.rejects(
        drain(client.follow("ghost", "stdout", signal)),
        (e: unknown) => e instanceof TaskmasterError && e.code === "BAD_NAME",
      );
      await assert.rejects(
        drain(client.follow("db", "stderr", signal)),
        (e: unknown) => e instanceof TaskmasterError && e.code === "NO_FILE",
      );
      port.shuttingDown = true;
      await assert.rejects(
        drain(client.events(signal)),
        (e: unknown) => e instanceof TaskmasterError && e.code === "SHUTTING_DOWN",
      );
    }),
});

Deno.test({
  name: "ControlServer.close() ends open streams and the client iterables finish",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "tm-api-" });
    const path = `${dir}/taskmaster.sock`;
    const port = new FakePort(webAndDb());
    const server = await serveControlApi(port, { path });
    using client = connectClient(path);
    const signal = new AbortController().signal;
    const drain = async (it: Promise<AsyncIterable<unknown>>) => {
      let n = 0;
      for await (const _ of await it) n++;
      return n;
    };
    const streams = [
      drain(client.events(signal)),
      drain(client.logFollow(signal)),
      drain(client.follow("web:0", "stderr", signal)),
    ];
    await waitFor(
      () => port.eventFeed.open + port.logFeed.open + port.outputFeed.open === 3,
      "three open streams",
    );
    await server.close();
    // The follow's one item is its "live" marker.
    assert.deepEqual(await Promise.all(streams), [0, 0, 1]);
    assert.equal(port.eventFeed.open + port.logFeed.open + port.outputFeed.open, 0);
    await assert.rejects(Deno.lstat(path), Deno.errors.NotFound);
    await Deno.remove(dir, { recursive: true });
  },
});
