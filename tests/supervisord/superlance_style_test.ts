/**
 * Listeners written like superlance's crashmail and httpok (on
 * supervisor.childutils, talking back through SUPERVISOR_SERVER_URL) act on
 * taskmaster as they do on supervisord.
 */
import assert from "node:assert/strict";
import { TestDaemon } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { requireSupervisor, SYSTEM_PYTHON } from "./_supervisor.ts";

const CRASHMAIL = new URL("./_crashmail.py", import.meta.url).pathname;
const HTTPOK = new URL("./_httpok.py", import.meta.url).pathname;

Deno.test("crashmail-style listener: an unexpected exit sends a mail, an expected one does not", async () => {
  requireSupervisor();
  const mailDir = await Deno.makeTempDir({ prefix: "tm-mail-" });
  const sendmail = `${mailDir}/sendmail`;
  await Deno.writeTextFile(
    sendmail,
    `#!/bin/sh\ncat >> ${mailDir}/outbox\necho "args: $*" >> ${mailDir}/outbox\n`,
  );
  await Deno.chmod(sendmail, 0o755);
  try {
    await using daemon = await TestDaemon.start(`
programs:
  crasher:
    cmd: sh -c "sleep 1.5; exit 3"
    starttime: 1
    autorestart: never
  finisher:
    cmd: sh -c "sleep 1.5; exit 0"
    starttime: 1
    autorestart: never
eventlisteners:
  crashmail:
    cmd: [${JSON.stringify(SYSTEM_PYTHON)}, ${JSON.stringify(CRASHMAIL)}, ${
      JSON.stringify(sendmail)
    }]
    events: [PROCESS_STATE_EXITED]
`);
    await daemon.waitState("crasher", "EXITED", 30_000);
    await daemon.waitState("finisher", "EXITED", 30_000);
    const outbox = await waitFor(
      () => Deno.readTextFile(`${mailDir}/outbox`).catch(() => ""),
      { timeout: 30_000, what: "the crash mail" },
    );
    // Give a wrong second mail (for finisher) the time to show up before checking it did not.
    await new Promise((r) => setTimeout(r, 1500));
    const all = await Deno.readTextFile(`${mailDir}/outbox`);
    assert.match(outbox, /Subject: crashmail: crasher/);
    assert.match(
      all,
      /Process crasher in group crasher exited unexpectedly \(pid \d+\) from state RUNNING/,
    );
    assert.match(all, /args: -t -i/);
    assert.doesNotMatch(all, /finisher/);
  } finally {
    await Deno.remove(mailDir, { recursive: true });
  }
});

Deno.test("httpok-style listener: a dead web check on TICK_5 restarts the program over XML-RPC", async () => {
  requireSupervisor();
  const dir = await Deno.makeTempDir({ prefix: "tm-httpok-" });
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  // First run hangs without listening; once restarted it serves HTTP.
  const web =
    `if [ -e ${dir}/ran ]; then exec ${SYSTEM_PYTHON} -m http.server ${port} --bind 127.0.0.1; ` +
    `else touch ${dir}/ran; exec sleep 1015.7; fi`;
  try {
    await using daemon = await TestDaemon.start(`
programs:
  web:
    cmd: [sh, -c, ${JSON.stringify(web)}]
    starttime: 1
    workingdir: ${JSON.stringify(dir)}
eventlisteners:
  httpok:
    cmd: [${JSON.stringify(SYSTEM_PYTHON)}, ${
      JSON.stringify(HTTPOK)
    }, "http://127.0.0.1:${port}/", web, ${JSON.stringify(`${dir}/notes`)}]
    events: [TICK_5]
`);
    const first = await daemon.waitState("web", "RUNNING", 30_000);
    const notes = await waitFor(async () => {
      const text = await Deno.readTextFile(`${dir}/notes`).catch(() => "");
      return /restarted web/.test(text) && /\nok\n/.test(`\n${text}`) ? text : null;
    }, { timeout: 60_000, what: "httpok to restart web and then find it healthy" });
    assert.match(notes, new RegExp(`restarted web \\(was pid ${first.pid}\\)`));
    const now = await daemon.info("web");
    assert.equal(now.state, "RUNNING");
    assert.notEqual(now.pid, first.pid);
    const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    assert.match(body, /Directory listing/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
