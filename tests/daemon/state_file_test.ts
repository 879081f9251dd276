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
import { waitFor } from "../_helpers/wait_for.ts";

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

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

Deno.test("a reader of the state file during rewrites always finds it, whole", async () => {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/taskmaster.state`;
  const ready = `${dir}/ready`;
  const done = `${dir}/done`;
  writeStateFile(path, state([1]));
  // Another process, as the next taskmaster would be: reads until told to stop (at most 30 s).
  const reader = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `const seen = { reads: 0, missing: 0, torn: 0 };
      const until = Date.now() + 30000;
      while (Date.now() < until) {
        try { Deno.statSync(${JSON.stringify(done)}); break; } catch { /* go on */ }
        let text;
        try { text = Deno.readTextFileSync(${
        JSON.stringify(path)
      }); } catch { seen.missing++; continue; }
        if (seen.reads++ === 0) Deno.writeTextFileSync(${JSON.stringify(ready)}, "");
        try { JSON.parse(text); } catch { seen.torn++; }
      }
      console.log(JSON.stringify(seen));`,
    ],
    stdout: "piped",
  }).spawn();
  try {
    await waitFor(() => existsSync(ready) || null, {
      what: "the reader's first read",
      timeout: 20_000,
    });
    // Writes while it reads: 2,000 times and for at least a second (at most 15 s).
    const started = Date.now();
    let writes = 0;
    while (Date.now() - started < 15_000 && (writes < 2_000 || Date.now() - started < 1_000)) {
      writeStateFile(path, state(writes % 2 === 0 ? [1, 2, 3] : [4]));
      writes++;
    }
    Deno.writeTextFileSync(done, "");
    const seen = JSON.parse(new TextDecoder().decode((await reader.output()).stdout));
    assert.ok(seen.reads > 1, `the reader read ${seen.reads} times`);
    assert.deepEqual({ missing: seen.missing, torn: seen.torn }, { missing: 0, torn: 0 });
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      ["done", "ready", "taskmaster.state"],
    );
  } finally {
    try {
      reader.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await reader.status;
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a state file path that is a directory is refused, and the directory left as it was", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/taskmaster.state`;
    Deno.mkdirSync(path);
    Deno.writeTextFileSync(`${path}/keep`, "mine");
    assert.throws(() => writeStateFile(path, state([1])));
    assert.equal(Deno.readTextFileSync(`${path}/keep`), "mine");
    assert.throws(() => writeStateFile(path, state([2])));
    assert.equal(Deno.readTextFileSync(`${path}/keep`), "mine");
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

Deno.test("StateKeeper writes exits in one batch a little later; a spawn meanwhile writes them at once", async () => {
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
    await Promise.resolve(); // timed at the end of the turn
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
    await Promise.resolve();
    assert.equal(writes(), 3, "the exit it wrote is not written again");
    live = [];
    keeper.changedSoon();
    await Promise.resolve();
    keeper.remove(); // the pending exit write is dropped with the file
    clock.advance(EXIT_COALESCE_MS);
    assert.equal(readStateFile(path), null);
    assert.equal(writes(), 3);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("StateKeeper: an exit and the spawn that replaces it in one turn make one write and arm no timer", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/taskmaster.state`;
    const clock = new FakeClock();
    let timersArmed = 0;
    const schedule = clock.schedule.bind(clock);
    clock.schedule = (at, fn) => {
      timersArmed++;
      return schedule(at, fn);
    };
    let live = [1];
    const { keeper, writes } = countingKeeper(path, () => live, clock);
    keeper.write();
    clock.advance(EXIT_COALESCE_MS);
    live = []; // a restart: the exit, then the spawn in the same turn
    keeper.changedSoon();
    live = [2];
    keeper.changed();
    await Promise.resolve();
    assert.deepEqual(readStateFile(path), state([2]));
    assert.equal(writes(), 2);
    assert.equal(timersArmed, 0, "no timer armed for an exit the spawn wrote");
    live = []; // an exit with no spawn after it is still written, a little later
    keeper.changedSoon();
    await Promise.resolve();
    assert.equal(timersArmed, 1);
    clock.advance(EXIT_COALESCE_MS);
    assert.deepEqual(readStateFile(path), state([]));
    assert.equal(writes(), 3);
    clock.advance(EXIT_COALESCE_MS);
    live = [3]; // an exit, the spawn that writes it, then another exit in the same turn
    keeper.changedSoon();
    keeper.changed();
    live = [];
    keeper.changedSoon();
    await Promise.resolve();
    assert.equal(writes(), 4);
    clock.advance(EXIT_COALESCE_MS);
    assert.equal(writes(), 5, "the exit after the write is written too");
    assert.deepEqual(readStateFile(path), state([]));
    keeper.remove();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("StateKeeper writes a file that is slow to write less often: spawns and exits wait for the gap, then go in one write", async () => {
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
    await Promise.resolve();
    clock.advance(firstDone + gap - clock.now() - 1);
    assert.equal(writes(), 1);
    clock.advance(1);
    assert.equal(writes(), 2, "one write for four spawns and an exit");
    assert.deepEqual(readStateFile(path), state([2, 3, 4, 5]));
    live = [2, 3];
    keeper.changedSoon();
    await Promise.resolve();
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
