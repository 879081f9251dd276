import assert from "node:assert/strict";
import { decodeCall, encodeFault, encodeResponse, MalformedCall } from "../../src/xmlrpc/codec.ts";
import { run, SYSTEM_PYTHON } from "./_supervisor.ts";

Deno.test("codec: a call with every value type decodes", () => {
  const call = decodeCall(`<?xml version="1.0"?><methodCall><methodName>x.y</methodName><params>
<param><value><string>a &amp; &lt;b&gt;</string></value></param>
<param><value>bare</value></param>
<param><value><i4>-7</i4></value></param>
<param><value><boolean>0</boolean></value></param>
<param><value><array><data><value><int>1</int></value><value><struct><member><name>k</name><value><string/></value></member></struct></value></data></array></value></param>
<param><value><base64>aGk=</base64></value></param>
</params></methodCall>`);
  assert.equal(call.method, "x.y");
  assert.deepEqual(call.params, ["a & <b>", "bare", -7, false, [1, { k: "" }], "hi"]);
  assert.throws(() => decodeCall("<methodCall><methodName>x"), MalformedCall);
});

Deno.test("codec: answers are laid out byte for byte as Python's xmlrpclib writes them", async () => {
  const value = { name: "web", pid: 12, ok: true, list: ["a<", 2 ** 40, -(2 ** 40)], empty: [] };
  const python = await run(SYSTEM_PYTHON, [
    "-c",
    `import xmlrpc.client as x, sys
v = {"name": "web", "pid": 12, "ok": True, "list": ["a<", 2**31-1, -2**31], "empty": []}
sys.stdout.write(x.dumps((v,), methodresponse=True))
sys.stdout.write(x.dumps(x.Fault(10, "BAD_NAME: nosuch")))`,
  ]);
  assert.equal(python.code, 0, python.stderr);
  assert.equal(encodeResponse(value) + encodeFault(10, "BAD_NAME: nosuch"), python.stdout);
});

Deno.test("codec: characters XML 1.0 forbids (ANSI escapes) are replaced, never sent", async () => {
  const body = encodeResponse("\x1b[31mred\x1b[0m\x00 ok");
  assert.ok(!body.includes("\x1b") && !body.includes("\x00"));
  // Parsed by a strict client (Python's expat), it is well-formed.
  const child = new Deno.Command(SYSTEM_PYTHON, {
    args: ["-c", "import sys, xmlrpc.client as x; print(x.loads(sys.stdin.read())[0][0])"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(body));
  await w.close();
  const out = await child.output();
  assert.equal(out.code, 0);
  assert.equal(new TextDecoder().decode(out.stdout), "\uFFFD[31mred\uFFFD[0m\uFFFD ok\n");
});
