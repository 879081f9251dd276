/**
 * taskmaster's own reload (ctl reload, SIGHUP) applies the `eventlisteners:`
 * section: pools added start, removed ones stop, programs are not touched.
 */
import assert from "node:assert/strict";
import { TestDaemon } from "../_helpers/daemon.ts";
import { alive, waitFor } from "../_helpers/wait_for.ts";
import { requireSupervisor, run, SUPERVISORCTL, SYSTEM_PYTHON } from "./_supervisor.ts";

const LISTENER = new URL("./_listener.py", import.meta.url).pathname;

const config = (pools: string) => `
programs:
  web:
    cmd: sleep 1018.1
    starttime: 0
eventlisteners:${pools}
`;
const pool = (name: string, events: string) => `
  ${name}:
    cmd: [${JSON.stringify(SYSTEM_PYTHON)}, ${JSON.stringify(LISTENER)}, ${name}.txt]
    events: [${events}]`;

Deno.test("reload adds, changes and removes event listener pools without touching programs", async () => {
  requireSupervisor();
  await using daemon = await TestDaemon.start(config(pool("spy", "PROCESS_STATE")));
  const pidOf = async (name: string) => {
    const out = await run(SUPERVISORCTL, ["-s", `unix://${daemon.socket}`, "pid", name]);
    return Number(out.stdout.trim());
  };
  const logged = (line: RegExp) =>
    waitFor(async () => line.test(await daemon.eventLog()), { what: `${line} in the event log` });
  const web = await daemon.waitState("web", "RUNNING");
  const oldSpy = await waitFor(async () => (await pidOf("spy")) || null, {
    what: "the spy listener's pid",
  });

  await daemon.writeConfig(config(pool("spy2", "PROCESS_STATE_RUNNING")));
  await daemon.port.reload();
  await logged(/event listener pools: added \[spy2\], changed \[\], removed \[spy\]/);
  await waitFor(() => !alive(oldSpy), { what: "the removed pool's listener to stop" });
  const spy2 = await waitFor(async () => (await pidOf("spy2")) || null, {
    what: "the added pool's listener",
  });
  assert.equal((await daemon.info("web")).pid, web.pid, "programs are not touched");

  // The new pool receives the events it subscribed to.
  await daemon.port.restart(["web"]);
  await waitFor(
    async () =>
      /PROCESS_STATE_RUNNING .*processname:web/.test(
        await Deno.readTextFile(`${daemon.dir}/spy2.txt`).catch(() => ""),
      ),
    { what: "spy2 to see web RUNNING" },
  );

  // A changed subscription restarts the pool's listener.
  await daemon.writeConfig(config(pool("spy2", "PROCESS_STATE")));
  await daemon.port.reload();
  await logged(/event listener pools: added \[\], changed \[spy2\], removed \[\]/);
  await waitFor(async () => {
    const now = await pidOf("spy2");
    return now !== 0 && now !== spy2;
  }, { what: "spy2 to run again with its new events" });
  assert.ok(!alive(spy2));
});
