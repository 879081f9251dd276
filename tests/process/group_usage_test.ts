import assert from "node:assert/strict";
import { type ProcSource, sampleGroups } from "../../src/process/group_usage.ts";
import type { ProcRow } from "../../src/process/proc_table.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const row = (pid: number, pgid: number, cpuTicks: number, rssBytes: number, state = "S") =>
  ({ pid, ppid: 1, pgid, state, cpuTicks, rssBytes }) satisfies ProcRow;

function fakeSource(rows: ProcRow[], cgroups: Record<string, number[]> = {}): ProcSource {
  return {
    table: () => rows,
    stat: (pid) => rows.find((r) => r.pid === pid) ?? null,
    cgroupPids: (dir) => cgroups[dir] ?? null,
  };
}

Deno.test("sampleGroups sums every live member of a process group, and only them", () => {
  const source = fakeSource([
    row(10, 10, 100, 1000),
    row(11, 10, 50, 500),
    row(12, 10, 70, 0, "Z"),
    row(20, 20, 7, 100),
    row(30, 30, 999, 999),
  ]);
  const usage = sampleGroups([{ pgid: 10 }, { pgid: 20 }, { pgid: 40 }], source)!;
  assert.deepEqual(usage.get(10), { cpuSeconds: 1.5, rssBytes: 1500 });
  assert.deepEqual(usage.get(20), { cpuSeconds: 0.07, rssBytes: 100 });
  assert.deepEqual(usage.get(40), { cpuSeconds: 0, rssBytes: 0 });
  assert.equal(usage.has(30), false);
});

Deno.test("sampleGroups uses a cgroup's members when the instance has one", () => {
  const source = fakeSource(
    [row(10, 10, 100, 1000), row(55, 55, 100, 300)],
    { "/sys/fs/cgroup/x": [10, 55] },
  );
  const usage = sampleGroups([{ pgid: 10, cgroup: "/sys/fs/cgroup/x" }], source)!;
  assert.deepEqual(usage.get(10), { cpuSeconds: 2, rssBytes: 1300 });
});

Deno.test("a real process group's members are all counted: three sleeps weigh more than one", async () => {
  const spawn = (script: string) =>
    new Deno.Command("sh", { args: ["-c", script], detached: true, stdout: "null" }).spawn();
  const one = spawn("exec sleep 1001.71");
  const three = spawn("sleep 1001.72 & sleep 1001.73 & exec sleep 1001.74");
  try {
    const usage = await waitFor(() => {
      const u = sampleGroups([{ pgid: one.pid }, { pgid: three.pid }]);
      const a = u?.get(one.pid);
      const b = u?.get(three.pid);
      // Until the shell has exec'd and both children exist, the figures move.
      return a && b && a.rssBytes > 0 && b.rssBytes > 2 * a.rssBytes ? { a, b } : null;
    }, "three sleeps to use more memory than one");
    assert.ok(usage.a.rssBytes > 100_000, `one sleep: ${usage.a.rssBytes} bytes`);
  } finally {
    for (const child of [one, three]) {
      Deno.kill(-child.pid, "SIGKILL");
      await child.status;
    }
  }
});
