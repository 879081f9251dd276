/**
 * A reload parses the new file on a worker thread: supervision and the socket
 * go on while a huge file is read (a 2 MB value keeps the YAML parser busy for
 * seconds on a loaded machine).
 */
import assert from "node:assert/strict";
import { TestDaemon } from "../_helpers/daemon.ts";

Deno.test("reload of a huge config: status keeps answering while it is parsed, then it applies", async () => {
  const program = `programs:\n  web:\n    cmd: sleep 1019.1\n    starttime: 0\n`;
  await using daemon = await TestDaemon.start(program);
  const before = await daemon.waitState("web", "RUNNING");
  // Never started (autostart false): a 2 MB argument could not be exec'd anyway.
  await daemon.writeConfig(
    `${program}  big:\n    cmd: echo "${"x".repeat(2 * 1024 * 1024)}"\n    autostart: false\n`,
  );
  let done = false;
  const reloading = daemon.port.reload().finally(() => (done = true));
  let answered = 0;
  while (!done) {
    await daemon.port.status();
    if (!done) answered++;
  }
  const report = await reloading;
  // On the event loop, the parse would let through only the requests sent before it began.
  assert.ok(answered >= 10, `only ${answered} status answers while the reload was parsed`);
  assert.deepEqual(report.added, ["big"]);
  assert.equal((await daemon.info("web")).pid, before.pid, "web went on untouched");
  assert.equal((await daemon.info("big")).state, "STOPPED");
});

Deno.test("reload off the event loop still reports a bad file with its position, nothing changed", async () => {
  const program = `programs:\n  web:\n    cmd: sleep 1019.2\n    starttime: 0\n`;
  await using daemon = await TestDaemon.start(program);
  const before = await daemon.waitState("web", "RUNNING");
  await daemon.writeConfig(`${program}    numprocs: many\n`);
  await assert.rejects(
    daemon.port.reload(),
    /taskmaster\.yaml:5:15: program "web": key "numprocs"/,
  );
  assert.equal((await daemon.info("web")).pid, before.pid);
});
