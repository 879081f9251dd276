/**
 * superlance's own crashmail, httpok and memmon (vendored unchanged in
 * ./vendor) run as taskmaster event listeners and act as they do under
 * supervisord: they read events over supervisor's listener protocol and call
 * back over XML-RPC through SUPERVISOR_SERVER_URL.
 */
import assert from "node:assert/strict";
import { TestDaemon } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { requireSupervisor, SYSTEM_PYTHON } from "./_supervisor.ts";

const VENDOR = new URL("./vendor", import.meta.url).pathname;

/** A fake `sendmail -t -i` that appends each mail and its arguments to `outbox`. */
async function fakeSendmail(dir: string): Promise<string> {
  const sendmail = `${dir}/sendmail`;
  await Deno.writeTextFile(
    sendmail,
    `#!/bin/sh\necho "args: $*" >> ${dir}/outbox\ncat >> ${dir}/outbox\necho >> ${dir}/outbox\n`,
  );
  await Deno.chmod(sendmail, 0o755);
  return sendmail;
}

/** The `eventlisteners:` entry running `python3 -m superlance.<tool> args…`. */
function listener(name: string, tool: string, args: string[], events: string, stderr: string) {
  const cmd = [SYSTEM_PYTHON, "-m", `superlance.${tool}`, ...args].map((a) => JSON.stringify(a));
  return `
  ${name}:
    cmd: [${cmd.join(", ")}]
    env: {PYTHONPATH: ${JSON.stringify(VENDOR)}}
    stderr: ${JSON.stringify(stderr)}
    events: [${events}]`;
}

const read = (path: string) => Deno.readTextFile(path).catch(() => "");

/** The file's text once it matches `pattern` (a mail is written in several pieces). */
const readWhen = (path: string, pattern: RegExp, what: string) =>
  waitFor(async () => {
    const text = await read(path);
    return pattern.test(text) ? text : null;
  }, { timeout: 30_000, what });

Deno.test("superlance crashmail: an unexpected exit of the watched program is mailed, an expected one is not", async () => {
  requireSupervisor();
  const dir = await Deno.makeTempDir({ prefix: "tm-crashmail-" });
  try {
    const sendmail = await fakeSendmail(dir);
    await using daemon = await TestDaemon.start(`
programs:
  crasher:
    cmd: sh -c "sleep 3; exit 3"
    starttime: 1
    autorestart: never
  finisher:
    cmd: sh -c "sleep 1.5; exit 0"
    starttime: 1
    autorestart: never
eventlisteners:${
      listener(
        "crashmail",
        "crashmail",
        ["-a", "-m", "ops@example.com", "-o", "prod", "-s", `${sendmail} -t -i`],
        "PROCESS_STATE_EXITED",
        `${dir}/crashmail.err`,
      )
    }
`);
    await daemon.waitState("crasher", "EXITED", 30_000);
    await daemon.waitState("finisher", "EXITED", 30_000);
    const outbox = await readWhen(`${dir}/outbox`, /exited unexpectedly/, "crashmail's mail");
    // finisher exited first: crashmail, one event at a time, judged it before crasher's.
    const all = await read(`${dir}/outbox`);
    assert.match(outbox, /^args: -t -i$/m);
    assert.match(outbox, /^To: ops@example\.com$/m);
    assert.match(outbox, /^Subject: prod: crasher crashed at /m);
    assert.match(
      all,
      /Process crasher in group crasher exited unexpectedly \(pid \d+\) from state RUNNING/,
    );
    assert.doesNotMatch(all, /finisher/);
    // Its stderr line reaches the log through the daemon's relay, which may
    // copy it after the mail (written by another process) is already there.
    await readWhen(`${dir}/crashmail.err`, /unexpected exit, mailing/, "crashmail's stderr line");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("superlance httpok: a web check that fails on TICK_5 restarts the program over XML-RPC and mails it", async () => {
  requireSupervisor();
  const dir = await Deno.makeTempDir({ prefix: "tm-httpok-" });
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  // The first run hangs without listening; once restarted it serves HTTP.
  const web =
    `if [ -e ${dir}/ran ]; then exec ${SYSTEM_PYTHON} -m http.server ${port} --bind 127.0.0.1; ` +
    `else touch ${dir}/ran; exec sleep 1015.8; fi`;
  try {
    const sendmail = await fakeSendmail(dir);
    await using daemon = await TestDaemon.start(`
programs:
  web:
    cmd: [sh, -c, ${JSON.stringify(web)}]
    starttime: 1
    workingdir: ${JSON.stringify(dir)}
eventlisteners:${
      listener(
        "httpok",
        "httpok",
        [
          "-p",
          "web",
          "-t",
          "2",
          "-m",
          "ops@example.com",
          "-s",
          sendmail,
          `http://127.0.0.1:${port}/`,
        ],
        "TICK_5",
        `${dir}/httpok.err`,
      )
    }
`);
    const first = await daemon.waitState("web", "RUNNING", 30_000);
    const log = await waitFor(async () => {
      const text = await read(`${dir}/httpok.err`);
      return /web restarted/.test(text) ? text : null;
    }, { timeout: 60_000, what: "httpok to restart web" });
    assert.match(log, /Restarting selected processes \['web'\]/);
    assert.match(log, /web is in RUNNING state, restarting/);
    const now = await daemon.waitState("web", "RUNNING", 30_000);
    assert.notEqual(now.pid, first.pid);
    const outbox = await readWhen(`${dir}/outbox`, /web restarted/, "httpok's mail");
    assert.match(
      outbox,
      new RegExp(`Subject: httpok: http://127\\.0\\.0\\.1:${port}/: bad status returned`),
    );
    assert.match(outbox, /web restarted/);
    const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    assert.match(body, /Directory listing/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("superlance memmon: a program over its RSS limit is restarted over XML-RPC and mailed", async () => {
  requireSupervisor();
  const dir = await Deno.makeTempDir({ prefix: "tm-memmon-" });
  // The first run holds 80 MB; once restarted it stays small.
  const hog = `import os, time
if os.path.exists("ran"):
    time.sleep(1016.1)
open("ran", "w").close()
block = b"x" * (80 * 1024 * 1024)
time.sleep(1016.2)
`;
  try {
    const sendmail = await fakeSendmail(dir);
    await using daemon = await TestDaemon.start(`
programs:
  hog:
    cmd: [${JSON.stringify(SYSTEM_PYTHON)}, -c, ${JSON.stringify(hog)}]
    starttime: 1
    workingdir: ${JSON.stringify(dir)}
  small:
    cmd: sleep 1016.3
eventlisteners:${
      // -n last: superlance's memmon reuses its `name` variable for each -p.
      listener(
        "memmon",
        "memmon",
        [
          "-p",
          "hog=40MB",
          "-p",
          "small=40MB",
          "-m",
          "ops@example.com",
          "-s",
          sendmail,
          "-n",
          "prod",
        ],
        "TICK_5",
        `${dir}/memmon.err`,
      )}
`);
    const first = await daemon.waitState("hog", "RUNNING", 30_000);
    const small = await daemon.waitState("small", "RUNNING", 30_000);
    const log = await waitFor(async () => {
      const text = await read(`${dir}/memmon.err`);
      return /Restarting hog:hog/.test(text) ? text : null;
    }, { timeout: 60_000, what: "memmon to restart hog" });
    assert.match(log, /Checking programs hog=41943040, small=41943040/);
    assert.match(log, /RSS of hog:hog is \d{8,}/);
    // memmon logs "Restarting" before its stopProcess call reaches us: the old
    // hog may still be RUNNING when the line is read, so wait for a new one.
    await waitFor(async () => {
      const hog = await daemon.info("hog");
      return hog.state === "RUNNING" && hog.pid !== first.pid;
    }, { timeout: 30_000, what: "hog RUNNING again as a new process" });
    const outbox = await readWhen(`${dir}/outbox`, /bytes RSS\)/, "memmon's mail");
    assert.match(outbox, /Subject: memmon \[prod\]: process hog:hog restarted/);
    assert.match(outbox, /because it was consuming too much memory \(\d+ bytes RSS\)/);
    // The small program is measured but left alone.
    await readWhen(`${dir}/memmon.err`, /RSS of small:small is \d+/, "memmon to measure small");
    assert.equal((await daemon.info("small")).pid, small.pid);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
