/**
 * Issue 11: at most 3 fds per instance (2 when stdout and stderr are
 * combined), measured as a user would: the daemon's open fds with N
 * instances running minus with none, divided by N. The programs write to
 * both log files first, so the files really were opened (and then closed
 * again for being idle); stdin still works without an fd held for it.
 */
import assert from "node:assert/strict";
import { TestDaemon } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const N = 100;

/** Open fds of a process of ours (the daemon). */
function fdCount(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

/** Starts `names`, waits for all N RUNNING, and returns the fds per instance once settled. */
async function fdsPerInstance(d: TestDaemon, names: string[], limit: number): Promise<number> {
  const pid = await d.port.daemonPid();
  // Measured with the client's connection open (it may close later: never more).
  await d.status();
  const base = fdCount(pid);
  const results = await d.port.start(names);
  assert.ok(results.every((r) => r.ok), JSON.stringify(results.filter((r) => !r.ok)));
  await waitFor(async () => {
    const list = await d.status();
    return names.every((name) =>
      list.filter((p) => p.name === name || p.program === name.replace(/:\*$/, ""))
        .every((p) => p.state === "RUNNING")
    ) && list.filter((p) => p.state === "RUNNING").length === N;
  }, { timeout: 120_000, what: `${N} instances RUNNING` });
  // Log files close after a second or two without writes.
  let perInstance = Infinity;
  await waitFor(() => {
    perInstance = (fdCount(pid) - base) / N;
    return perInstance <= limit;
  }, { timeout: 60_000, interval: 250, what: `at most ${limit} fds per instance` })
    .catch((error) => {
      throw new Error(`${error.message}; last measured ${perInstance}`);
    });
  return perInstance;
}

// Combined output, each program with a file of its own.
const combined = Array.from({ length: N }, (_, i) => `
  c${i}:
    cmd: /bin/sh -c "echo out; echo err >&2; exec /bin/sleep 1021.2"
    autostart: false
    starttime: 0
    stdout: logs/c${i}.log
    stderr: logs/c${i}.log`).join("");

Deno.test(`the daemon holds at most 3 fds per instance, 2 with combined output (${N} instances each)`, async () => {
  await using d = await TestDaemon.start(`
programs:
  plain:
    cmd: /bin/sh -c "echo out; echo err >&2; exec /bin/sleep 1021.1"
    numprocs: ${N}
    autostart: false
    starttime: 0
${combined}
  reader:
    cmd: /bin/sh -c 'while read -r line; do echo "got $line"; done; echo eof'
    autostart: false
    stdout: logs/reader.log
`);
  const plain = await fdsPerInstance(d, ["plain:*"], 3);
  // Default (AUTO) log files, both written: the lines are there.
  const plain7 = await d.info("plain:7");
  assert.ok(plain7.stdout !== null && plain7.stderr !== null && plain7.stdout !== plain7.stderr);
  assert.equal(await Deno.readTextFile(plain7.stdout), "out\n");
  assert.equal(await Deno.readTextFile(plain7.stderr), "err\n");
  await d.port.stop(["plain:*"]);

  const names = Array.from({ length: N }, (_, i) => `c${i}`);
  const together = await fdsPerInstance(d, names, 2);
  const c7 = await d.info("c7");
  assert.equal(c7.stdout, c7.stderr);
  assert.equal(await Deno.readTextFile(c7.stdout!), "out\nerr\n");
  await d.port.stop(names);
  assert.ok(plain <= 3 && together <= 2, `fds per instance: plain ${plain}, combined ${together}`);

  // stdin: no EOF at start, and sendStdin reaches the program (no fd kept for it).
  await d.port.start(["reader"]);
  await d.waitState("reader", "RUNNING");
  await d.port.sendStdin("reader", new TextEncoder().encode("hello\n"));
  await d.port.sendStdin("reader", new TextEncoder().encode("again\n"));
  await waitFor(async () => {
    const text = await Deno.readTextFile(`${d.dir}/logs/reader.log`).catch(() => "");
    return text === "got hello\ngot again\n";
  }, { timeout: 30_000, what: "the reader's two lines (and no eof)" });
  assert.equal((await d.info("reader")).state, "RUNNING");
});
