import assert from "node:assert/strict";
import { waitFor } from "../_helpers/wait_for.ts";
import { tempDir } from "../_helpers/daemon.ts";
import { tcpListener, udpListener, unixDatagramListener } from "./_servers.ts";
import { crash, manager } from "./_manager.ts";

const RFC5424 =
  /^<(\d+)>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\S+) (\S+) (\d+) (\S+) - (.*)$/;
const RFC3164 = /^<(\d+)>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (\S+) (\S+)\[(\d+)\]: (.*)$/;

Deno.test("syslog: RFC 5424 lines over UDP", async () => {
  const udp = await udpListener();
  try {
    await using m = manager(`  channels:
    log: {syslog: {address: "udp://127.0.0.1:${udp.port}", facility: local0}}
  rules:
    - {events: [crashed], channels: [log], cooldown: 0}
`);
    crash(m.alerts, "web:1", 3);
    await waitFor(() => udp.lines.length === 1, { what: "the datagram", timeout: 60_000 });
    const match = RFC5424.exec(udp.lines[0]!);
    assert.ok(match, udp.lines[0]);
    assert.equal(match[1], String(16 * 8 + 3), "local0.err");
    assert.equal(match[3], "testhost");
    assert.equal(match[4], "taskmaster");
    assert.equal(match[5], String(Deno.pid));
    assert.equal(match[6], "crashed");
    assert.match(match[7]!, /^web:1 crashed \(exit 3\) on testhost: described web:1 \[program=web/);
  } finally {
    udp.close();
  }
});

Deno.test("syslog: newline-framed RFC 5424 lines over TCP, in order", async () => {
  const tcp = tcpListener();
  try {
    await using m = manager(`  channels:
    log: {syslog: {address: "tcp://127.0.0.1:${tcp.port}"}}
  rules:
    - {events: [crashed], channels: [log], cooldown: 0}
`);
    for (const name of ["web:0", "web:1", "web:2"]) crash(m.alerts, name);
    await waitFor(() => tcp.lines.length === 3, { what: "three lines", timeout: 60_000 });
    for (const line of tcp.lines) assert.match(line, RFC5424);
    assert.deepEqual(
      tcp.lines.map((l) => RFC5424.exec(l)![7]!.split(" ")[0]),
      ["web:0", "web:1", "web:2"],
    );
    assert.equal(RFC5424.exec(tcp.lines[0]!)![1], String(3 * 8 + 3), "daemon.err by default");
  } finally {
    tcp.close();
  }
});

Deno.test("syslog: RFC 3164 datagrams to a unix socket like /dev/log", async () => {
  await using dir = await tempDir();
  const path = `${dir}/log`;
  const listener = unixDatagramListener(path);
  try {
    await using m = manager(`  channels:
    local: {syslog: {address: ${path}, facility: daemon}}
  rules:
    - {events: [crashed], channels: [local], cooldown: 0}
`);
    crash(m.alerts, "web:2", 4);
    await waitFor(() => listener.lines.length === 1, { what: "the datagram", timeout: 60_000 });
    const match = RFC3164.exec(listener.lines[0]!);
    assert.ok(match, listener.lines[0]);
    assert.equal(match[1], "27");
    assert.equal(match[4], "taskmaster");
    assert.match(match[6]!, /^web:2 crashed \(exit 4\) on testhost/);
    // No listener: the error says so.
    const missing = manager(`  channels:
    gone: {syslog: {address: ${dir}/nothing-here}}
  rules:
    - {events: [crashed], channels: [gone]}
`);
    const result = await missing.alerts.test("gone");
    await missing[Symbol.asyncDispose]();
    assert.equal(result.ok, false);
    assert.match(result.error!, /No such file or directory/);
  } finally {
    listener.close();
  }
});
