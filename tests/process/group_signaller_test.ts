import assert from "node:assert/strict";
import { GroupSignaller, MEMBERS_GRACE_MS } from "../../src/process/group_signaller.ts";
import { FakeClock, FakeOs, RecordedCgroups } from "../_helpers/fake_process.ts";

const target = { name: "web", pgid: 812, cgroup: "/cg/web/web" };

function setup() {
  const os = new FakeOs();
  const cgroups = new RecordedCgroups();
  const clock = new FakeClock();
  return { os, cgroups, clock, signaller: new GroupSignaller(os, cgroups, clock) };
}

/** The stopsignal sent ahead to group 812, then the stop event's own send. */
function stopAhead(signaller: GroupSignaller, signal: Deno.Signal = "SIGTERM"): void {
  signaller.ahead(812, signal);
  assert.equal(signaller.send(target, signal, signal), null);
}

Deno.test("a stopsignal sent ahead is owed to the cgroup's other members until the leader is reaped with something left", () => {
  const { os, cgroups, signaller } = setup();
  stopAhead(signaller);
  assert.deepEqual(os.sent, [{ to: "group", id: 812, signal: "SIGTERM" }], "the group once");
  assert.deepEqual(cgroups.signals, [], "no cgroup.procs read yet");
  signaller.leaderReaped(812, true);
  assert.deepEqual(cgroups.signals, [{ path: "/cg/web/web", signal: "SIGTERM", exceptGroup: 812 }]);
  signaller.leaderReaped(812, true);
  assert.equal(cgroups.signals.length, 1, "paid once");
});

Deno.test("nobody is owed the stopsignal once the leader is reaped with nothing left, not even after the grace", () => {
  const { cgroups, clock, signaller } = setup();
  stopAhead(signaller);
  signaller.leaderReaped(812, false);
  clock.advance(MEMBERS_GRACE_MS * 3);
  assert.deepEqual(cgroups.signals, []);
});

Deno.test("members of a leader that lives on get the stopsignal when the grace runs out, once", () => {
  const { cgroups, clock, signaller } = setup();
  stopAhead(signaller, "SIGUSR1");
  clock.advance(MEMBERS_GRACE_MS - 1);
  assert.deepEqual(cgroups.signals, []);
  clock.advance(1);
  assert.deepEqual(cgroups.signals, [{ path: "/cg/web/web", signal: "SIGUSR1", exceptGroup: 812 }]);
  signaller.leaderReaped(812, true);
  clock.advance(MEMBERS_GRACE_MS * 2);
  assert.equal(cgroups.signals.length, 1, "not again at the leader's exit");
});

Deno.test("a SIGKILL sooner than the grace (a short stoptime) pays the owed stopsignal first", () => {
  const { os, cgroups, clock, signaller } = setup();
  stopAhead(signaller);
  signaller.send(target, "SIGKILL", "SIGTERM");
  assert.deepEqual(cgroups.signals, [
    { path: "/cg/web/web", signal: "SIGTERM", exceptGroup: 812 },
    { path: "/cg/web/web", signal: "SIGKILL", exceptGroup: 812 },
  ]);
  assert.deepEqual(os.sent.at(-1), { to: "group", id: 812, signal: "SIGKILL" });
  clock.advance(MEMBERS_GRACE_MS * 3);
  assert.equal(cgroups.signals.length, 2, "the debt was paid once");
});

Deno.test("a debt forgotten (the instance forgotten, or a new run) is never paid", () => {
  const { cgroups, clock, signaller } = setup();
  stopAhead(signaller);
  signaller.forgetOwed();
  clock.advance(MEMBERS_GRACE_MS * 3);
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
  stopAhead(signaller);
  signaller.leaderReaped(700, false);
  signaller.leaderReaped(812, true);
  assert.equal(cgroups.signals.length, 1);
});
