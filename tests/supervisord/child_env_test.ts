/**
 * Children get supervisord's SUPERVISOR_* variables, so supervisor's own
 * childutils (what superlance is built on) reaches taskmaster from inside.
 */
import assert from "node:assert/strict";
import { TestDaemon } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { requireSupervisor, SYSTEM_PYTHON } from "./_supervisor.ts";

const ASK = `
import os, sys, time
from supervisor import childutils
rpc = childutils.getRPCInterface(os.environ)
me = os.environ["SUPERVISOR_GROUP_NAME"] + ":" + os.environ["SUPERVISOR_PROCESS_NAME"]
info = rpc.supervisor.getProcessInfo(me)
print(os.environ["SUPERVISOR_ENABLED"], os.environ["SUPERVISOR_SERVER_URL"], me, info["pid"] == os.getpid(), flush=True)
time.sleep(1014.8)
`;

Deno.test("children get SUPERVISOR_* and childutils.getRPCInterface works from inside", async () => {
  requireSupervisor();
  await using daemon = await TestDaemon.start(`
programs:
  asker:
    cmd: [${JSON.stringify(SYSTEM_PYTHON)}, "-c", ${JSON.stringify(ASK)}]
    numprocs: 2
    starttime: 0
  single:
    cmd: [${JSON.stringify(SYSTEM_PYTHON)}, "-c", ${JSON.stringify(ASK)}]
    starttime: 0
`);
  const url = `unix://${daemon.socket}`;
  for (const [name, me] of [["asker:1", "asker:1"], ["single", "single:single"]]) {
    const line = await waitFor(async () => {
      const text = await Deno.readTextFile(`${daemon.dir}/logs/${name}.out.log`).catch(() => "");
      // Whole line only: with PYTHONUNBUFFERED print() writes its pieces one
      // by one, and a piece held back longer than flush_partial_after (0.2 s,
      // easily reached on a loaded machine) is written alone.
      return text.endsWith("\n") ? text.trim() : null;
    }, { timeout: 30_000, what: `${name}'s line` });
    assert.equal(line, `1 ${url} ${me} True`);
  }
});
