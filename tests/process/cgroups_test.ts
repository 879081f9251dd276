import assert from "node:assert/strict";
import {
  cgroup2Mount,
  CgroupTree,
  memberList,
  type MemberLists,
  members,
  pathKey,
  sharingMemberLists,
} from "../../src/process/cgroups.ts";
import { DenoSpawner } from "../../src/process/spawner.ts";
import { plainSpec } from "../_helpers/spawn_spec.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const HYBRID = [
  "25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw",
  "30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755",
  "31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw",
  "32 30 0:28 / /sys/fs/cgroup/memory rw,nosuid shared:10 - cgroup cgroup rw,memory",
].join("\n");

Deno.test("cgroup2Mount() finds the unified mount of a hybrid layout, /sys/fs/cgroup of a pure one", () => {
  assert.equal(cgroup2Mount(HYBRID), "/sys/fs/cgroup/unified");
  assert.equal(
    cgroup2Mount("30 25 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate"),
    "/sys/fs/cgroup",
  );
  assert.equal(
    cgroup2Mount("30 25 0:26 / /sys/fs/cgroup ro,nosuid shared:4 - cgroup2 cgroup2 ro"),
    null,
    "a read-only mount is no use",
  );
  assert.equal(
    cgroup2Mount(HYBRID.split("\n").filter((l) => !l.includes("cgroup2")).join("\n")),
    null,
  );
});

Deno.test("pathKey() is stable and tells paths apart", () => {
  assert.equal(pathKey("/srv/app/taskmaster.state"), pathKey("/srv/app/taskmaster.state"));
  assert.notEqual(pathKey("/srv/a/taskmaster.state"), pathKey("/srv/b/taskmaster.state"));
  assert.match(pathKey("x"), /^[0-9a-f]{8}$/);
});

Deno.test("CgroupTree + the spawner's shim: a prepared cgroup exists before the spawn; the child enters it (or makes a missing one), which counts, kills and is removed", async () => {
  const mount = cgroup2Mount();
  assert.ok(mount !== null, "this machine has a cgroup v2 hierarchy (see DENO-NOTES)");
  // Under a directory of its own, removed at the end: never the hierarchy's shared `taskmaster`.
  const outer = `${mount}/taskmaster-test-${Deno.pid}-${Date.now()}`;
  const root = `${outer}/taskmaster`;
  const tree = CgroupTree.open(root);
  assert.ok(tree !== null);
  try {
    const prepared = tree.prepare("web", "web:0");
    assert.equal(prepared, `${root}/web/web:0`);
    assert.ok(Deno.statSync(prepared).isDirectory, "prepare() made it");
    assert.deepEqual(tree.instances(), [prepared]);
    tree.release(prepared);
    await waitFor(
      () => Deno.stat(`${root}/web`).then(() => false, () => true),
      "the released cgroup and its program's directory removed",
    );
    // Not prepared (as when a removal won the race): the shim makes both directories.
    const path = tree.pathOf("web", "web:1");
    const spawned = new DenoSpawner().spawn(
      plainSpec({ argv: ["/bin/sleep", "1010.61"], cgroup: path }),
    );
    assert.ok(spawned.ok);
    const child = spawned.child;
    await waitFor(() => tree.count(path!) === 1, "the child in its cgroup");
    assert.deepEqual(members(path!), [child.pid], "the child itself, after exec");
    await child.stdin.close();
    assert.ok(tree.populated(path!));
    assert.deepEqual(tree.instances(), [path]);
    tree.signal(path!, "SIGKILL");
    assert.equal((await child.status).signal, "SIGKILL");
    await child.stdout.cancel();
    await child.stderr?.cancel();
    await waitFor(() => !tree.populated(path!), "the killed child gone from its cgroup");
    tree.release(path!);
    await waitFor(() => tree.instances().length === 0, "the emptied cgroup removed");
  } finally {
    await tree.removeEmpty();
  }
  assert.equal(CgroupTree.open(root) !== null, true, "it can be made again");
  await CgroupTree.open(root)!.removeEmpty();
  await Deno.remove(outer);
  assert.ok(CgroupTree.open("/nonexistent-dir/taskmaster") === null);
});

Deno.test("prepare() takes the cgroup an instance still holds as there (no mkdir); any other is made", async () => {
  const mount = cgroup2Mount();
  assert.ok(mount !== null, "this machine has a cgroup v2 hierarchy (see DENO-NOTES)");
  const outer = `${mount}/taskmaster-test-${Deno.pid}-${Date.now()}`;
  const tree = CgroupTree.open(`${outer}/taskmaster`);
  assert.ok(tree !== null);
  const exists = (path: string) => {
    try {
      return Deno.statSync(path).isDirectory;
    } catch {
      return false;
    }
  };
  try {
    const path = tree.prepare("web", "web:0")!;
    assert.ok(exists(path), "prepare() made it");
    // Removed behind the daemon's back: held, it is not looked at (the spawn's fallback makes it).
    await Deno.remove(path);
    assert.equal(tree.prepare("web", "web:0", path), path);
    assert.equal(exists(path), false, "prepare() looked at a held cgroup");
    // Not held (none, or another instance's): made.
    assert.equal(tree.prepare("web", "web:0", tree.pathOf("web", "web:1")), path);
    assert.ok(exists(path), "prepare() did not make a cgroup it does not hold");
  } finally {
    await tree.removeEmpty();
  }
  await Deno.remove(outer);
});

Deno.test("undoOpen() removes only the directories open() made; prepare() makes a removed root again", async () => {
  const mount = cgroup2Mount();
  assert.ok(mount !== null, "this machine has a cgroup v2 hierarchy (see DENO-NOTES)");
  const outer = `${mount}/taskmaster-test-${Deno.pid}-${Date.now()}`;
  const root = `${outer}/taskmaster`;
  const isDir = (path: string) => Deno.stat(path).then((s) => s.isDirectory, () => false);
  // Two daemons start on one state file: the first makes the tree, the second finds it.
  const first = CgroupTree.open(root)!;
  const second = CgroupTree.open(root)!;
  try {
    second.undoOpen();
    assert.ok(await isDir(root), "the second made nothing, so it removes nothing");
    // The first is refused at start and undoes its tree, after the second found it.
    first.undoOpen();
    assert.equal(await isDir(outer), false, "the first removes what it made");
    const path = second.prepare("web", "web:0");
    assert.ok(path !== null && await isDir(path), "the live daemon's next spawn has its cgroup");
  } finally {
    await second.removeEmpty();
    await Deno.remove(outer).catch(() => {});
  }
});

Deno.test("memberList() reads a cgroup.procs once per synchronous run, afresh after it", async () => {
  // Status asks each instance's cgroup for its count and then for the members it measures:
  // one read serves both. A directory with a cgroup.procs file stands in for the cgroup.
  const dir = await Deno.makeTempDir({ prefix: "tm_members_" });
  try {
    await Deno.writeTextFile(`${dir}/cgroup.procs`, "41\n42\n");
    assert.deepEqual(memberList(dir), [41, 42]);
    Deno.writeTextFileSync(`${dir}/cgroup.procs`, "42\n");
    assert.deepEqual(memberList(dir), [41, 42], "the same run sees the first read");
    assert.deepEqual(members(dir), [42], "members() always reads");
    await Promise.resolve();
    assert.deepEqual(memberList(dir), [42], "the next run reads again");
    assert.equal(memberList(`${dir}/missing`), null, "unreadable: null");
    Deno.writeTextFileSync(`${dir}/cgroup.procs`, "0\n43\n");
    assert.deepEqual(members(dir), [43], "0 (outside our pid namespace) is not a pid to signal");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CgroupTree.populated(): an empty program's cgroup answers for its instances, read once per synchronous run", async () => {
  // Directories with cgroup files stand in for the hierarchy. The two files disagree on
  // purpose, to show which one answered.
  const root = await Deno.makeTempDir({ prefix: "tm_populated_" });
  try {
    await Deno.writeTextFile(`${root}/cgroup.procs`, "");
    await Deno.mkdir(`${root}/web/web:0`, { recursive: true });
    await Deno.writeTextFile(`${root}/web/cgroup.events`, "populated 0\nfrozen 0\n");
    await Deno.writeTextFile(`${root}/web/web:0/cgroup.events`, "populated 1\nfrozen 0\n");
    const tree = CgroupTree.open(root)!;
    assert.equal(tree.populated(`${root}/web/web:0`), false, "the empty program answered");
    Deno.writeTextFileSync(`${root}/web/cgroup.events`, "populated 1\nfrozen 0\n");
    assert.equal(
      tree.populated(`${root}/web/web:0`),
      false,
      "the same run: the program's first read",
    );
    tree.prepare("web", "web:1");
    assert.equal(
      tree.populated(`${root}/web/web:0`),
      true,
      "a spawn may fill the program: read again, then the instance",
    );
    Deno.writeTextFileSync(`${root}/web/cgroup.events`, "populated 0\nfrozen 0\n");
    await Promise.resolve();
    assert.equal(
      tree.populated(`${root}/web/web:0`),
      false,
      "the next run: the program read again",
    );
    Deno.writeTextFileSync(`${root}/web/cgroup.events`, "populated 1\nfrozen 0\n");
    Deno.writeTextFileSync(`${root}/web/web:0/cgroup.events`, "populated 0\nfrozen 0\n");
    await Promise.resolve();
    assert.equal(
      tree.populated(`${root}/web/web:0`),
      false,
      "a populated program: the instance answers",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("members() reads a cgroup.procs longer than one read of the kernel whole", async () => {
  // The kernel hands cgroup.procs out a page at a time; a read well short of that is its end.
  const mount = cgroup2Mount();
  assert.ok(mount !== null, "this machine has a cgroup v2 hierarchy (see DENO-NOTES)");
  const outer = `${mount}/taskmaster-test-${Deno.pid}-${Date.now()}`;
  const tree = CgroupTree.open(`${outer}/taskmaster`)!;
  const path = tree.prepare("many", "many:0")!;
  // 1,200 processes: 5-7 KB of pids (4 or 5 digits each), more than a page.
  const spawned = new DenoSpawner().spawn(
    plainSpec({
      argv: ["/bin/sh", "-c", "for i in $(seq 1200); do sleep 1010.62 & done; wait"],
      cgroup: path,
    }),
  );
  assert.ok(spawned.ok);
  const child = spawned.child;
  try {
    const listed = async () =>
      (await Deno.readTextFile(`${path}/cgroup.procs`)).split("\n").filter((l) => l !== "");
    await waitFor(async () => (await listed()).length === 1201, {
      what: "1201 processes in the cgroup",
      timeout: 60_000,
    });
    assert.ok(
      (await Deno.readTextFile(`${path}/cgroup.procs`)).length > 4096,
      "longer than a page",
    );
    assert.deepEqual(members(path), (await listed()).map(Number));
  } finally {
    // The sleeps first, so that sh's `wait` collects them: killed with sh, they would be
    // orphans, zombies for good under an init that never reaps (README, "Nothing escapes").
    for (const pid of members(path)) if (pid !== child.pid) Deno.kill(pid, "SIGKILL");
    let ended = false;
    child.status.then(() => ended = true);
    await waitFor(() => ended, { what: "sh to end", timeout: 20_000 }).catch(() => {
      tree.signal(path, "SIGKILL"); // it was still starting sleeps (a failed test)
    });
    await child.status;
    await child.stdout.cancel();
    await child.stderr?.cancel();
    await waitFor(() => !tree.populated(path), "every member gone");
    tree.release(path);
    await tree.removeEmpty();
    await Deno.remove(outer).catch(() => {});
  }
});

Deno.test("sharingMemberLists() keeps one read of each cgroup across the runs of one answer", async () => {
  // A status written a slice at a time samples every group first, then counts each group's
  // members slice by slice, in later runs of the event loop: one read serves both.
  const dir = await Deno.makeTempDir({ prefix: "tm_members_" });
  try {
    await Deno.writeTextFile(`${dir}/cgroup.procs`, "41\n42\n");
    const lists: MemberLists = new Map();
    assert.deepEqual(sharingMemberLists(lists, () => memberList(dir)), [41, 42]);
    Deno.writeTextFileSync(`${dir}/cgroup.procs`, "42\n");
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(sharingMemberLists(lists, () => memberList(dir)), [41, 42], "later run");
    assert.deepEqual(memberList(dir), [42], "outside the answer: read afresh");
    assert.deepEqual(sharingMemberLists(new Map(), () => memberList(dir)), [42], "another answer");
    const nested = sharingMemberLists(lists, () => {
      sharingMemberLists(new Map(), () => memberList(dir));
      return memberList(dir);
    });
    assert.deepEqual(nested, [41, 42], "the outer memo is back after an inner one");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
