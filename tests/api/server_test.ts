import assert from "node:assert/strict";
import { serveControlApi } from "../../src/api/server.ts";
import { connectClient, UnreachableError } from "../../src/api/client.ts";
import { TaskmasterError } from "../../src/util/errors.ts";
import { FakePort, waitFor, webAndDb } from "../_helpers/fake_port.ts";
import { exchangeRaw } from "../_helpers/raw_http.ts";

async function withServer(
  fn: (ctx: { path: string; dir: string; port: FakePort }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tm-api-" });
  const path = `${dir}/taskmaster.sock`;
  const port = new FakePort(webAndDb());
  const server = await serveControlApi(port, { path });
  try {
    await fn({ path, dir, port });
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TaskmasterError, `not a TaskmasterError: ${error}`);
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  });
}

Deno.test({
  name: "serveControlApi() + connectClient() round-trip every method",
}, async () => {
  await withServer(async ({ path, port }) => {
    using client = connectClient(path);
    assert.equal(await client.daemonPid(), 4242);
    assert.equal(await client.version(), "0.1.0");
    assert.deepEqual((await client.status()).map((p) => p.name), ["web:0", "web:1", "db"]);
    const [web0] = await client.status(["web:0"]);
    assert.deepEqual(web0, (await port.status(["web:0"]))[0]);
    assert.deepEqual(await client.stop(["web"]), [
      { name: "web:0", ok: true },
      { name: "web:1", ok: true },
    ]);
    assert.deepEqual(await client.start(["web:0", "db"]), [
      { name: "web:0", ok: true },
      { name: "db", ok: true },
    ]);
    assert.deepEqual(await client.start(["db"]), [
      { name: "db", ok: false, error: { code: "ALREADY_STARTED", message: "already started" } },
    ]);
    assert.deepEqual(await client.restart(["all"]), [
      { name: "web:0", ok: true, steps: ["stop", "start"] },
      { name: "web:1", ok: true, steps: ["start"] },
      { name: "db", ok: true, steps: ["stop", "start"] },
    ]);
    assert.deepEqual(await client.stop(["ghost", "db"], { perName: true }), [
      { name: "ghost", ok: false, error: { code: "BAD_NAME", message: "no such process: ghost" } },
      { name: "db", ok: true },
    ]);
    assert.deepEqual(await client.start(["db"]), [{ name: "db", ok: true }]);
    assert.deepEqual(await client.signal("USR1", ["db"]), [{ name: "db", ok: true }]);
    assert.deepEqual(await client.clear(["web:1"]), [{ name: "web:1", ok: true }]);
    assert.deepEqual(await client.reload(), port.reloadReport);
    assert.equal(
      await client.tail("web:0", "stderr", 2),
      "web:0 stderr line 1 é\nweb:0 stderr line 2 é\n",
    );
    assert.equal(await client.logTail(1), "log 1\n");
    await client.sendStdin("web:0", new Uint8Array([0, 1, 255]));
    assert.deepEqual(port.stdin, [{ name: "web:0", data: new Uint8Array([0, 1, 255]) }]);
    await client.shutdown();
    assert.equal(port.shuttingDown, true);
    await rejectsWith(client.status(), "SHUTTING_DOWN");
  });
});

Deno.test({
  name: "connectClient() preserves TaskmasterError codes and messages",
}, async () => {
  await withServer(async ({ path, port }) => {
    using client = connectClient(path);
    await rejectsWith(client.status(["ghost"]), "BAD_NAME", /^no such process: ghost$/);
    await rejectsWith(client.start(["ghost"]), "BAD_NAME");
    await rejectsWith(client.signal("bo gus", ["db"]), "BAD_SIGNAL");
    await rejectsWith(client.tail("db", "stderr", 1), "NO_FILE");
    await rejectsWith(client.sendStdin("db", new Uint8Array([1])), "NOT_RUNNING");
    await rejectsWith(client.start([]), "BAD_REQUEST");
    port.failNext = new TaskmasterError("BAD_CONFIG", "a.yaml:1:1: bad");
    await rejectsWith(client.reload(), "BAD_CONFIG", /^a\.yaml:1:1: bad$/);
    port.failNext = new TypeError("bug");
    await rejectsWith(client.daemonPid(), "INTERNAL", /bug/);
    await rejectsWith(client.tail("web:0", "stdout", -1), "BAD_REQUEST");
  });
});

Deno.test(
  { name: "serveControlApi() creates the socket owner-only (0600)" },
  async () => {
    await withServer(async ({ path }) => {
      const info = await Deno.lstat(path);
      assert.ok(info.isSocket);
      assert.equal(info.mode! & 0o777, 0o600);
    });
  },
);

Deno.test({
  name: "serveControlApi() restores the umask and removes the socket on close",
}, async () => {
  const before = Deno.umask();
  const dir = await Deno.makeTempDir();
  const path = `${dir}/t.sock`;
  const server = await serveControlApi(new FakePort(webAndDb()), { path });
  assert.equal(Deno.umask(), before);
  await server.close();
  await server.close(); // idempotent
  await assert.rejects(Deno.lstat(path), Deno.errors.NotFound);
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "serveControlApi() replaces a stale socket left by a killed process",
}, async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/stale.sock`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `Deno.listen({ transport: "unix", path: ${
        JSON.stringify(path)
      } }); setInterval(() => {}, 1000);`,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitFor(
    () => {
      try {
        return Deno.lstatSync(path).isSocket === true;
      } catch {
        return false;
      }
    },
    "the child's socket",
    10_000,
  );
  child.kill("SIGKILL");
  await child.status;
  assert.ok((await Deno.lstat(path)).isSocket, "the killed child leaves its socket behind");
  const server = await serveControlApi(new FakePort(webAndDb()), { path });
  try {
    using client = connectClient(path);
    assert.equal(await client.daemonPid(), 4242);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "serveControlApi() refuses a live socket, naming the taskmaster pid",
}, async () => {
  await withServer(async ({ path }) => {
    await rejectsWith(
      serveControlApi(new FakePort(webAndDb()), { path }),
      "BAD_ARGUMENTS",
      new RegExp(
        `^socket ${path} is in use by taskmaster pid 4242; choose another with --socket PATH or taskmaster.socket in the config$`,
      ),
    );
    // The first server still answers.
    using client = connectClient(path);
    assert.equal(await client.daemonPid(), 4242);
  });
});

Deno.test({
  name: "serveControlApi() refuses a live socket of another program",
}, async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/other.sock`;
  const other = Deno.serve({ path, onListen() {} }, () => new Response("hello"));
  try {
    await rejectsWith(
      serveControlApi(new FakePort(webAndDb()), { path }),
      "BAD_ARGUMENTS",
      /is in use by another program/,
    );
  } finally {
    await other.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "serveControlApi() refuses a regular file at the path and keeps it",
}, async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/taskmaster.sock`;
  await Deno.writeTextFile(path, "precious");
  await rejectsWith(
    serveControlApi(new FakePort(webAndDb()), { path }),
    "BAD_ARGUMENTS",
    /is not a socket/,
  );
  assert.equal(await Deno.readTextFile(path), "precious");
  await Deno.remove(dir, { recursive: true });
});

Deno.test(
  { name: "serveControlApi() refuses a path longer than 107 bytes" },
  async () => {
    const path = `/tmp/${"é".repeat(52)}.sock`; // 5 + 104 + 5 = 114 bytes, 62 characters
    await rejectsWith(
      serveControlApi(new FakePort(webAndDb()), { path }),
      "BAD_ARGUMENTS",
      new RegExp(`^socket path too long \\(114 bytes, the limit is 107\\): ${path}$`),
    );
    await assert.rejects(Deno.lstat(path), Deno.errors.NotFound);
  },
);

Deno.test({
  name: "serveControlApi() reports a missing directory as BAD_ARGUMENTS",
}, async () => {
  await rejectsWith(
    serveControlApi(new FakePort(webAndDb()), { path: "/nonexistent-dir-tm/x.sock" }),
    "BAD_ARGUMENTS",
    /cannot listen on socket \/nonexistent-dir-tm\/x\.sock/,
  );
});

Deno.test({
  name: "connectClient() on a missing socket throws UnreachableError naming it",
}, async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/none.sock`;
  using client = connectClient(path);
  await assert.rejects(client.status(), (error: unknown) => {
    assert.ok(error instanceof UnreachableError);
    assert.equal(
      error.message,
      `cannot reach taskmaster at ${path}: no such file or directory (is it running?)`,
    );
    assert.equal(error.socketPath, path);
    return true;
  });
  await assert.rejects(client.shutdown(), UnreachableError);
  await Deno.writeTextFile(path, "");
  await assert.rejects(client.daemonPid(), /connection refused \(is it running\?\)$/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name:
    "a daemon that hangs up without answering is unreachable after connecting, as shutdown expects",
}, async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/mute.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const accepting = (async () => {
    for await (const conn of listener) conn.close();
  })();
  try {
    using client = connectClient(path);
    await assert.rejects(client.daemonPid(), (error: unknown) => {
      assert.ok(error instanceof UnreachableError);
      assert.equal(error.afterConnect, true);
      assert.match(error.message, new RegExp(`^cannot reach taskmaster at ${path}: `));
      return true;
    });
  } finally {
    listener.close();
    await accepting.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "serveControlApi() answers malformed HTTP with 4xx and keeps serving",
}, async () => {
  await withServer(async ({ path }) => {
    const garbage = await exchangeRaw(path, "\x00\x01 GARBAGE \r\n\r\n");
    assert.match(garbage, /^HTTP\/1\.1 4\d\d /);
    const badJson = await exchangeRaw(
      path,
      'POST /v1/start HTTP/1.1\r\nHost: localhost\r\nContent-Length: 9\r\nConnection: close\r\n\r\n{"names":',
    );
    assert.match(badJson, /^HTTP\/1\.1 400 /);
    assert.match(badJson, /"code":"BAD_REQUEST"/);
    const lying = await exchangeRaw(
      path,
      "POST /v1/stop HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n{}",
    );
    assert.match(lying, /^HTTP\/1\.1 4\d\d /);
    const badMethod = await exchangeRaw(
      path,
      "BREW /v1/daemon HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert.match(badMethod, /^HTTP\/1\.1 4\d\d /);
    using client = connectClient(path);
    assert.equal(await client.daemonPid(), 4242);
  });
});

Deno.test({
  name: "serveControlApi() 20 concurrent clients get correct answers",
}, async () => {
  await withServer(async ({ path, port }) => {
    port.actionDelayMs = 5;
    const clients = Array.from({ length: 20 }, () => connectClient(path));
    try {
      await Promise.all(clients.map(async (client, i) => {
        for (let round = 0; round < 10; round++) {
          const statuses = await client.status();
          assert.equal(statuses.length, 3);
          const target = i % 2 === 0 ? "web:0" : "web:1";
          const [stopped] = await client.stop([target]);
          assert.equal(stopped?.name, target);
          const [started] = await client.start([target]);
          assert.equal(started?.name, target);
          await rejectsWith(client.stop(["ghost"]), "BAD_NAME");
        }
      }));
    } finally {
      for (const client of clients) client.close();
    }
    assert.equal(port.calls.filter((c) => c.method === "status").length, 200);
  });
});
