import assert from "node:assert/strict";
import {
  type DaemonState,
  EXIT_COALESCE_MS,
  readStateFile,
  StateKeeper,
  WRITE_SHARE,
  writeStateFile,
} from "../../src/daemon/state_file.ts";
import { FakeClock } from "../_helpers/fake_process.ts";

const state = (pids: number[]): DaemonState => ({
  version: 1,
  daemon: { pid: 1234, startTime: "99" },
  cgroupRoot: null,
  instances: pids.map((pid) => ({
    name: `web:${pid}`,
    pid,
    pgid: pid,
    startTime: "100",
    cgroup: null,
    stopsignal: "SIGTERM",
    stoptime: 10,
  })),
});

/**
 * A keeper of `path` over the pids `live()` gives, counting its writes; each
 * write takes `writeMs` on `clock` (0: the file of a few instances, written fast).
 */
function countingKeeper(
  path: string,
  live: () => number[],
  clock: FakeClock,
  writeMs = 0,
): { keeper: StateKeeper; writes: () => number } {
  let writes = 0;
  const keeper = new StateKeeper(
    path,
    () => {
      writes++;
      clock.advance(writeMs);
      return state(live());
    },
    (m) => assert.fail(m),
    clock,
  );
  return { keeper, writes: () => writes };
}

Deno.test("writeStateFile() replaces the file whole (no temp file left) and readStateFile() reads it back", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/taskmaster.state`;
    assert.equal(readStateFile(path), null);
    writeStateFile(path, state([1, 2]));
    writeStateFile(path, state([3]));
    assert.deepEqual(readStateFile(path), state([3]));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["taskmaster.state"]);
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o600);
    Deno.writeTextFileSync(path, "{garbage");
    assert.deepEqual(readStateFile(path), { error: "not valid JSON" });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("StateKeeper writes at once, coalesces a burst into the end of the turn, and removes the file", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/taskmaster.state`;
    let live: number[] = [];
    const { keeper, writes } = countingKeeper(path, () => live, new FakeClock());
    live = [1];
    keeper.changed();
    assert.deepEqual(readStateFile(path), state([1]), "the first change is written at once");
    for (let i = 2; i <= 100; i++) {
      live = [...live, i];
      keeper.changed();
    }
    await Promise.resolve();
    assert.equal((readStateFile(path) as DaemonState).instances.length, 100);
    assert.ok(writes() < 20, `${writes()} writes for 100 changes`);
    keeper.remove();
    keeper.changed();
    await Promise.resolve();
    assert.equal(readStateFile(path), null);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("StateKeeper writes exits in one batch a little later; a spawn meanwhile writes them at once", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/taskmaster.state`;
    const clock = new FakeClock();
    let live = [1, 2, 3];
    const { keeper, writes } = countingKeeper(path, () => live, clock);
    keeper.write();
    live = [2, 3];
    keeper.changedSoon();
    live = [3];
    keeper.changedSoon();
    clock.advance(EXIT_COALESCE_MS - 1);
    assert.deepEqual(readStateFile(path), state([1, 2, 3]), "exits wait");
    clock.advance(1);
    assert.deepEqual(readStateFile(path), state([3]));
    assert.equal(writes(), 2, "both exits in one write");
    clock.advance(EXIT_COALESCE_MS); // past the spawn coalescing window
    live = [];
    keeper.changedSoon();
    live = [4];
    keeper.changed();
    assert.deepEqual(readStateFile(path), state([4]), "a spawn is written at once, with the exit");
    keeper.remove(); // the pending exit write is dropped with the file
    clock.advance(EXIT_COALESCE_MS);
    assert.equal(readStateFile(path), null);
    assert.equal(writes(), 3);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("StateKeeper writes a file that is slow to write less often: spawns and exits wait for the gap, then go in one write", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/taskmaster.state`;
    const clock = new FakeClock();
    const writeMs = 50; // thousands of instances: each write takes this long
    const gap = writeMs / WRITE_SHARE;
    let live = [1];
    const { keeper, writes } = countingKeeper(path, () => live, clock, writeMs);
    keeper.changed();
    assert.deepEqual(readStateFile(path), state([1]), "the first spawn is written at once");
    const firstDone = clock.now();
    for (let pid = 2; pid <= 5; pid++) {
      clock.advance(gap / 10); // a spawn every tenth of the gap
      live = [...live, pid];
      keeper.changed();
    }
    assert.equal(writes(), 1, "the spawns wait for the gap");
    live = live.slice(1);
    keeper.changedSoon(); // an exit meanwhile joins them
    clock.advance(firstDone + gap - clock.now() - 1);
    assert.equal(writes(), 1);
    clock.advance(1);
    assert.equal(writes(), 2, "one write for four spawns and an exit");
    assert.deepEqual(readStateFile(path), state([2, 3, 4, 5]));
    live = [2, 3];
    keeper.changedSoon();
    clock.advance(EXIT_COALESCE_MS);
    assert.equal(writes(), 2, "an exit too waits for the gap, not only its own delay");
    clock.advance(gap);
    assert.equal(writes(), 3);
    assert.deepEqual(readStateFile(path), state([2, 3]));
    keeper.remove();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
