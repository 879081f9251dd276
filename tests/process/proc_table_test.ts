import assert from "node:assert/strict";
import {
  groupRss,
  parseProcStat,
  readProcTable,
  rssByGroup,
} from "../../src/process/proc_table.ts";
import { signalGroup } from "../../src/process/group.ts";
import { waitFor } from "../_helpers/wait_for.ts";

Deno.test("parseProcStat() counts fields after the last ')' of the command name", () => {
  const line = "42 (a (b) c) S 1 40 40 0 -1 4194560 1 0 0 0 7 3 0 0 20 0 1 0 100 " +
    "1000 25 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
  const row = parseProcStat(new TextEncoder().encode(line));
  assert.deepEqual(row, {
    pid: 42,
    ppid: 1,
    pgid: 40,
    state: "S",
    rssBytes: 25 * 4096,
    cpuTicks: 10,
  });
});

Deno.test("parseProcStat() refuses a cut or garbled line and reads one that ends at rss", () => {
  const parse = (line: string) => parseProcStat(new TextEncoder().encode(line));
  const upToRss = "7 (sleep) Z 1 7 7 0 -1 0 0 0 0 0 12 30 0 0 20 0 1 0 5 1000 3";
  assert.deepEqual(parse(upToRss), {
    pid: 7,
    ppid: 1,
    pgid: 7,
    state: "Z",
    rssBytes: 3 * 4096,
    cpuTicks: 42,
  });
  assert.equal(parse("7 (sleep) S 1 7 7 0"), null, "cut before rss");
  assert.equal(parse("7 (sleep) S 1 x7 7 0 -1 0 0 0 0 0 12 30 0 0 20 0 1 0 5 1000 3"), null);
  assert.equal(parse("7 sleep S 1 7"), null, "no command name");
});

Deno.test("rssByGroup() sums live members and leaves zombies out", () => {
  const row = (pid: number, pgid: number, state: string, rssBytes: number) => ({
    pid,
    ppid: 1,
    pgid,
    state,
    rssBytes,
    cpuTicks: 0,
  });
  const total = rssByGroup([row(1, 7, "S", 100), row(2, 7, "R", 50), row(3, 7, "Z", 999)]);
  assert.equal(total.get(7), 150);
});

Deno.test("readProcTable() finds this process; groupRss() measures a real group", async () => {
  const rows = readProcTable();
  assert.ok(rows !== null);
  const self = rows.find((r) => r.pid === Deno.pid);
  assert.ok(self !== undefined && self.rssBytes > 0);
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", "sleep 30.12 & sleep 30.12"],
    detached: true,
  }).spawn();
  try {
    // Right after the spawn the group may still be mid-exec, with no pages
    // counted yet (seen under load): wait for a measurement.
    const rss = await waitFor(() => {
      const bytes = groupRss(child.pid);
      return bytes !== null && bytes > 0 ? bytes : null;
    }, "a resident group");
    assert.ok(rss > 0, `group rss ${rss}`);
  } finally {
    signalGroup(child.pid, "SIGKILL");
    await child.status;
  }
});
