/**
 * Python's xmlrpc.client, through supervisor's own unix-socket transport,
 * calls every method of supervisord 4.2.5's interface on taskmaster and on
 * a real supervisord running the same config: the answers (structs, arrays,
 * fault codes and strings) must be identical once pids, times and log file
 * names are masked.
 */
import assert from "node:assert/strict";
import { PAIR_CONF, PAIR_SETTLED, startSupervisord, startTaskmaster } from "./_pair.ts";
import { run, SYSTEM_PYTHON } from "./_supervisor.ts";

const SCRIPT = new URL("./rpc_every_method.py", import.meta.url).pathname;

Deno.test("xmlrpc.client: every method answers as supervisord's does", async () => {
  await using supervisord = await startSupervisord(PAIR_CONF);
  await using taskmaster = await startTaskmaster(PAIR_CONF);
  await Promise.all([supervisord.settle(PAIR_SETTLED), taskmaster.settle(PAIR_SETTLED)]);
  const [expected, actual] = await Promise.all(
    [supervisord, taskmaster].map((d) => run(SYSTEM_PYTHON, [SCRIPT, d.url, d.dir])),
  );
  assert.equal(expected!.code, 0, expected!.stderr);
  assert.equal(actual!.code, 0, actual!.stderr);
  assert.deepEqual(JSON.parse(actual!.stdout), JSON.parse(expected!.stdout));
});
