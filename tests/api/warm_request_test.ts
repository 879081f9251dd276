import assert from "node:assert/strict";
import { serveControlApi } from "../../src/api/server.ts";
import { WARM_UP_NAME, warmControlRequest } from "../../src/api/warm_request.ts";
import { checkProgramName } from "../../src/config/program.ts";
import { IssueList } from "../../src/config/issues.ts";
import { FakePort, webAndDb } from "../_helpers/fake_port.ts";

Deno.test("the warm-up request reaches the stop route with its body, as `ctl stop` sends it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tm-warm-" });
  const path = `${dir}/taskmaster.sock`;
  const port = new FakePort(webAndDb());
  const server = await serveControlApi(port, { path });
  try {
    const before = (await port.status()).map((p) => [p.name, p.state]);
    // Answered (2xx): the body was read and accepted by the stop route's schema.
    assert.equal(await warmControlRequest(path), true);
    assert.deepEqual(port.calls.map((c) => c.method), ["status", "stop"]);
    assert.deepEqual(port.options, [{ perName: true }]);
    assert.deepEqual(port.calls[1]!.args[0], [WARM_UP_NAME]);
    // Nothing was stopped.
    assert.deepEqual((await port.status()).map((p) => [p.name, p.state]), before);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the warm-up request gives up quietly when nothing answers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tm-warm-" });
  try {
    assert.equal(await warmControlRequest(`${dir}/nobody.sock`), false);
    // A listener that accepts and never answers: the timeout ends it.
    const listener = Deno.listen({ transport: "unix", path: `${dir}/mute.sock` });
    const accepted = listener.accept();
    assert.equal(await warmControlRequest(`${dir}/mute.sock`, 200), false);
    (await accepted).close();
    listener.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the name the warm-up asks for can never be a program's", () => {
  const issues = new IssueList("taskmaster.yaml");
  assert.equal(checkProgramName(WARM_UP_NAME, { line: 1, column: 1 }, issues), false);
});
