import assert from "node:assert/strict";
import { GroupSignaller, MEMBERS_GRACE_MS } from "../../src/process/group_signaller.ts";
import { FakeOs, RecordedCgroups } from "../_helpers/fake_process.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const target = { name: "web", pgid: 812, cgroup: "/cg/web/web" };

function setup(): { os: FakeOs; cgroups: RecordedCgroups; signaller: GroupSignaller } {
  const os = new FakeOs();
  const cgroups = new RecordedCgroups();
  return { os, cgroups, signaller: new GroupSignaller(os, cgroups) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("a stopsignal sent ahead is owed to the cgroup's other members until the leader is reaped with something left", () => {
  const { os, cgroups, signaller } = setup();
  signaller.ahead(812, "SIGTERM");
  assert.equal(signaller.send(target, "SIGTERM", "SIGTERM"), null);
  assert.deepEqual(os.sent, [{ to: "group", id: 812, signal: "SIGTERM" }], "the group once");
  assert.deepEqual(cgroups.signals, [], "no cgroup.procs read yet");
  signaller.leaderReaped(812, true);
  assert.deepEqual(cgroups.signals, [{ path: "/cg/web/web", signal: "SIGTERM", exceptGroup: 812 }]);
  signaller.leaderReaped(812, true);
  assert.equal(cgroups.signals.length, 1, "paid once");
});

Deno.test("nobody is owed the stopsignal once the leader is reaped with nothing left, not even after the grace", async () => {
  const { cgroups, signaller } = setup();
  signaller.ahead(812, "SIGTERM");
  signaller.send(target, "SIGTERM", "SIGTERM");
  signaller.leaderReaped(812, false);
  await sleep(MEMBERS_GRACE_MS * 3);
  assert.deepEqual(cgroups.signals, []);
});

Deno.test("members of a leader that lives on get the stopsignal after the grace, once", async () => {
  const { cgroups, signaller } = setup();
  signaller.ahead(812, "SIGUSR1");
  signaller.send(target, "SIGUSR1", "SIGUSR1");
  assert.deepEqual(cgroups.signals, []);
  await waitFor(() => cgroups.signals.length > 0, { what: "the members' stopsignal" });
  assert.deepEqual(cgroups.signals, [{ path: "/cg/web/web", signal: "SIGUSR1", exceptGroup: 812 }]);
  signaller.leaderReaped(812, true);
  await sleep(MEMBERS_GRACE_MS * 2);
  assert.equal(cgroups.signals.length, 1, "not again at the leader's exit");
});

Deno.test("a SIGKILL (stoptime) cancels the debt: the cgroup is killed, the stopsignal never follows", async () => {
  const { os, cgroups, signaller } = setup();
  signaller.ahead(812, "SIGTERM");
  signaller.send(target, "SIGTERM", "SIGTERM");
  signaller.send(target, "SIGKILL", "SIGTERM");
  assert.deepEqual(cgroups.signals, [{ path: "/cg/web/web", signal: "SIGKILL", exceptGroup: 812 }]);
  assert.deepEqual(os.sent.at(-1), { to: "group", id: 812, signal: "SIGKILL" });
  await sleep(MEMBERS_GRACE_MS * 3);
  assert.equal(cgroups.signals.length, 1);
});

Deno.test("a forgotten instance owes nothing", async () => {
  const { cgroups, signaller } = setup();
  signaller.ahead(812, "SIGTERM");
  signaller.send(target, "SIGTERM", "SIGTERM");
  signaller.dispose();
  await sleep(MEMBERS_GRACE_MS * 3);
  assert.deepEqual(cgroups.signals, []);
});

Deno.test("a stopsignal that did not go ahead reaches the cgroup's members at once, then the group", () => {
  const { os, cgroups, signaller } = setup();
  assert.equal(signaller.send(target, "SIGTERM", "SIGTERM"), null);
  assert.deepEqual(cgroups.signals, [{ path: "/cg/web/web", signal: "SIGTERM", exceptGroup: 812 }]);
  assert.deepEqual(os.sent, [{ to: "group", id: 812, signal: "SIGTERM" }]);
});

Deno.test("the reaped leader of another run does not settle this run's debt", () => {
  const { cgroups, signaller } = setup();
  signaller.ahead(812, "SIGTERM");
  signaller.send(target, "SIGTERM", "SIGTERM");
  signaller.leaderReaped(700, false);
  signaller.leaderReaped(812, true);
  assert.equal(cgroups.signals.length, 1);
  signaller.dispose();
});
