import assert from "node:assert/strict";
import { join } from "node:path";
import { accountLookup, parsePasswd, systemAccountLookup } from "../../src/config/accounts.ts";

Deno.test("parsePasswd() reads accounts and skips comments and malformed lines", () => {
  const accounts = parsePasswd([
    "# comment",
    "",
    "root:x:0:0:root:/root:/bin/bash",
    "broken:x:notanumber:0::/:/bin/sh",
    "short:x:1",
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
    "root:x:99:99:shadowed:/:/bin/sh",
  ].join("\n"));
  assert.deepEqual([...accounts.keys()], ["root", "nobody"]);
  assert.deepEqual(accounts.get("root"), {
    name: "root",
    uid: 0,
    gid: 0,
    home: "/root",
    shell: "/bin/bash",
  });
});

Deno.test("accountLookup() finds by name, then by uid digits", () => {
  const lookup = accountLookup(parsePasswd("daemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"));
  assert.equal(lookup("daemon")?.uid, 1);
  assert.equal(lookup("1")?.name, "daemon");
  assert.equal(lookup("2"), undefined);
  assert.equal(lookup("nobody"), undefined);
});

Deno.test("systemAccountLookup() finds nobody in this machine's /etc/passwd", () => {
  assert.equal(systemAccountLookup()("nobody")?.uid, 65534);
});

Deno.test("systemAccountLookup() knows no user when the passwd file is missing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(systemAccountLookup(join(dir, "passwd"))("root"), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
