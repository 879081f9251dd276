import assert from "node:assert/strict";
import { taskmasterCommand, TestDaemon } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { collect } from "../_helpers/collect.ts";

const read = (path: string) => Deno.readTextFile(path).catch(() => "");

/** `out 1`, `err 1`, `out 2`, `err 2` … as the program wrote them. */
const expected = (n: number) =>
  Array.from({ length: n }, (_, i) => `out ${i + 1}\nerr ${i + 1}\n`).join("");

Deno.test("stdout and stderr naming one file keep the program's order (one pipe, like >f 2>&1)", async () => {
  await using d = await TestDaemon.start(`
programs:
  both:
    cmd: /bin/sh -c 'i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo "out $i"; echo "err $i" >&2; done'
    starttime: 0
    autorestart: never
    stdout: combined.log
    stderr: combined.log
`);
  await d.waitState("both", "EXITED");
  const log = `${d.dir}/combined.log`;
  const text = await waitFor(async () => {
    const t = await read(log);
    return t.length >= expected(300).length ? t : null;
  }, { what: "all 600 lines" });
  assert.equal(text, expected(300));
  // One stream: tail shows it for either name.
  assert.equal(await d.port.tail("both", "stderr", 2), "out 300\nerr 300\n");
  assert.equal(await d.port.tail("both", "stdout", 2), "out 300\nerr 300\n");
});

Deno.test("combined output with a umask keeps the order too, and tail -f of stderr follows the one stream", async () => {
  await using d = await TestDaemon.start(`
programs:
  both:
    cmd: /bin/sh -c 'i=0; while true; do i=$((i+1)); echo "out $i"; echo "err $i" >&2; sleep 0.02; done'
    starttime: 0
    umask: 027
    stdout: combined.log
    stderr: combined.log
`);
  await d.waitState("both", "RUNNING");
  const ac = new AbortController();
  let seen = "";
  const decoder = new TextDecoder();
  for await (const chunk of await d.port.follow("both", "stderr", ac.signal)) {
    seen += decoder.decode(chunk, { stream: true });
    if (seen.split("\n").length > 6) break;
  }
  ac.abort();
  assert.match(seen, /out (\d+)\nerr \1\n/);
  await d.port.stop(["both"]);
  const lines = (await read(`${d.dir}/combined.log`)).trimEnd().split("\n");
  const n = lines.length / 2;
  assert.ok(n >= 3, `${lines.length} lines`);
  assert.equal(lines.join("\n") + "\n", expected(n));
});

Deno.test("attach to a combined program shows each line once, in order", async () => {
  await using d = await TestDaemon.start(`
programs:
  talk:
    cmd: /bin/sh -c 'while read -r line; do echo "out $line"; echo "err $line" >&2; done'
    starttime: 0
    stdout: talk.log
    stderr: talk.log
`);
  await d.waitState("talk", "RUNNING");
  const attach = taskmasterCommand(["ctl", "-s", d.socket, "attach", "talk"], {
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const shown = collect(attach.stdout);
  const errors = collect(attach.stderr);
  const writer = attach.stdin.getWriter();
  await waitFor(() => shown.text.includes("attached to talk"), { what: "attach banner" });
  await writer.write(new TextEncoder().encode("1\n"));
  await waitFor(() => shown.text.includes("err 1\n"), { what: "the echoed line" });
  await writer.write(new TextEncoder().encode("2\n"));
  await waitFor(() => shown.text.includes("err 2\n"), { what: "the second line" });
  await writer.close();
  await attach.status;
  await shown.done;
  await errors.done;
  const body = shown.text.split("\n").filter((l) => /^(out|err) /.test(l)).join("\n");
  assert.equal(body, "out 1\nerr 1\nout 2\nerr 2");
  assert.equal(errors.text, "");
});
