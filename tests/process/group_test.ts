import assert from "node:assert/strict";
import { groupAlive, groupExists, signalGroup } from "../../src/process/group.ts";
import { waitFor } from "../_helpers/wait_for.ts";

Deno.test("groupAlive() sees a live group, then not once its members are gone", async () => {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", "sleep 30 & sleep 30"],
    detached: true,
  }).spawn();
  try {
    await waitFor(() => groupExists(child.pid), { what: "the group" });
    assert.equal(await groupAlive(child.pid), true);
  } finally {
    signalGroup(child.pid, "SIGKILL");
    await child.status;
  }
  // The orphaned `sleep` is killed too; reaped or a zombie, it no longer counts.
  await waitFor(async () => !(await groupAlive(child.pid)), { what: "the group to be gone" });
});
