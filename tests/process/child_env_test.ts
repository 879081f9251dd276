import assert from "node:assert/strict";
import { childBaseEnv } from "../../src/process/child_env.ts";
import { processRunning, processStartTime } from "../../src/process/kernel_files.ts";

Deno.test("childBaseEnv() keeps the user's variables and drops deno task's", () => {
  assert.deepEqual(
    childBaseEnv({
      PATH: "/bin",
      HOME: "/root",
      INIT_CWD: "/x",
      npm_config_cache: "/c",
      npm_package_name: "p",
      npm_lifecycle_event: "e",
      TASKMASTER_SOCKET: "/s",
    }),
    { PATH: "/bin", HOME: "/root", TASKMASTER_SOCKET: "/s" },
  );
});

Deno.test("processStartTime() names one process for good: same pid, same answer; gone, null", async () => {
  const child = new Deno.Command("/bin/sleep", { args: ["1000.76"] }).spawn();
  const first = processStartTime(child.pid);
  assert.match(first ?? "", /^\d+$/);
  assert.equal(processStartTime(child.pid), first);
  assert.ok(processRunning(child.pid));
  child.kill("SIGKILL");
  await child.status;
  assert.equal(processStartTime(child.pid), null);
  assert.equal(processRunning(child.pid), false);
});
