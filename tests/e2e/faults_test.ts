/**
 * Faults the daemon must survive, end to end: a real daemon under a low fd
 * limit, detached with its parent gone, and stray output writes.
 */
import assert from "node:assert/strict";
import { connectClient } from "../../src/api/client.ts";
import { RUN_FLAGS } from "../../src/permissions.ts";
import { MAIN, runTaskmaster, tempDir, TestDaemon } from "../_helpers/daemon.ts";
import { alive, waitFor } from "../_helpers/wait_for.ts";

/** Open fds of a process of ours (the daemon). */
function fdCount(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

Deno.test("EMFILE: under a 96-fd limit, failed spawns go FATAL with supervisord's words and the daemon keeps answering", async () => {
  await using dir = await tempDir();
  const programs = Array.from(
    { length: 40 },
    (_, i) =>
      `  p${i}:\n    cmd: /bin/sleep 1011.${i}\n    starttime: 0\n    startretries: 1\n    stdout: none\n    stderr: none\n`,
  );
  await Deno.writeTextFile(`${dir}/tm.yaml`, `programs:\n${programs.join("")}`);
  // `ulimit -n` in sh sets the hard limit too: taskmaster cannot raise it.
  const daemon = new Deno.Command("/bin/sh", {
    args: [
      "-c",
      'ulimit -n 96 && exec "$@"',
      "sh",
      Deno.execPath(),
      "run",
      "--quiet",
      ...RUN_FLAGS,
      MAIN,
      "-c",
      `${dir}/tm.yaml`,
      "--no-shell",
    ],
    cwd: `${dir}`,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(daemon.stderr).text();
  using client = connectClient(`${dir}/taskmaster.sock`);
  try {
    const settled = await waitFor(async () => {
      const list = await client.status();
      return list.every((p) => p.state === "RUNNING" || p.state === "FATAL") ? list : null;
    }, { timeout: 60_000, what: "every program RUNNING or FATAL" });
    const fatal = settled.filter((p) => p.state === "FATAL");
    const running = settled.filter((p) => p.state === "RUNNING");
    assert.ok(fatal.length > 0, "some spawns must fail at 96 fds");
    assert.ok(running.length > 0);
    for (const p of fatal) {
      assert.equal(p.description, `too many open files to spawn '${p.name}'`);
    }
    // Each running instance costs at most 3 fds (pid handle, stdout and stderr pipes).
    assert.ok(fdCount(daemon.pid) <= 96);
    // Free fds and the FATAL ones start again.
    await client.stop(running.map((p) => p.name));
    const again = await client.start([fatal[0]!.name]);
    assert.ok(again.every((r) => r.ok), JSON.stringify(again));
    assert.ok(alive(daemon.pid));
    const log = await Deno.readTextFile(`${dir}/taskmaster.log`);
    assert.match(log, /file descriptor limit is 96 \(hard limit 96\)/);
  } finally {
    daemon.kill("SIGTERM");
    const status = await daemon.status;
    const text = await stderr;
    assert.equal(status.code, 0, text);
    assert.doesNotMatch(text, /Uncaught|panicked/);
  }
});

Deno.test("a detached daemon points stdout and stderr at /dev/null once ready, so no write can kill it", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir}/t.yaml`,
    "programs:\n  a:\n    cmd: /bin/sleep 1012\n    starttime: 0\n",
  );
  const r = await runTaskmaster(["-c", `${dir}/t.yaml`, "--detach"]);
  assert.equal(r.code, 0, r.stderr);
  const pid = Number(r.stdout.trim());
  try {
    // The --detach parent is gone: its pipe has no reader, a write there would be EPIPE.
    await waitFor(() =>
      Deno.readLinkSync(`/proc/${pid}/fd/1`) === "/dev/null" &&
      Deno.readLinkSync(`/proc/${pid}/fd/2`) === "/dev/null"
    );
    using client = connectClient(`${dir}/taskmaster.sock`);
    assert.equal(await client.daemonPid(), pid);
    await client.shutdown();
  } finally {
    if (alive(pid)) Deno.kill(pid, "SIGTERM");
  }
  await waitFor(() => !alive(pid), { what: "the daemon to exit" });
});

Deno.test("launch: the socket answers during a 1000-instance spawn burst, and a crashing program is restarted meanwhile", async () => {
  await using d = await TestDaemon.start(`
programs:
  crasher:
    cmd: /bin/sh -c "sleep 0.2; exit 1"
    priority: 1
    starttime: 0
    startretries: 1000
  many:
    cmd: /bin/sleep 1014
    numprocs: 1000
    priority: 2
    starttime: 0
`);
  // The first answer comes while the burst is still going: some never started yet. (300 took
  // ~0.2 s once programs started without a shell, less than a loaded CI's first answer.)
  const first = await d.status();
  const notYet = first.filter((p) => p.program === "many" && p.startedAt === null).length;
  assert.ok(notYet > 0, "the launch should still be under way at the first answer");
  // The crasher restarts while the burst goes on: more than one start before the end.
  const firstCrasherStart = first.find((p) => p.name === "crasher")?.startedAt ?? null;
  await waitFor(async () => {
    const crasher = await d.info("crasher");
    return crasher.startedAt !== null && crasher.startedAt !== firstCrasherStart;
  }, { timeout: 60_000, what: "the crasher to be restarted" });
  await waitFor(async () => (await d.status()).every((p) => p.startedAt !== null), {
    timeout: 120_000,
    what: "every instance started",
  });
});

/** How many children `pid` has now (every thread's /proc children list). */
function childCount(pid: number): number {
  let count = 0;
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    let list: string;
    try {
      list = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue; // an idle worker thread ended
      throw error;
    }
    if (list !== "") count += list.split(" ").length;
  }
  return count;
}

Deno.test("launch: with a log file per stream, the socket keeps answering all through a 1000-instance burst", async () => {
  await using d = await TestDaemon.start(`
programs:
  many:
    cmd: /bin/sleep 1015
    numprocs: 1000
    starttime: 0
`);
  // Each instance opens two log files. Opened with async file operations,
  // they held the control connection back: a launch of 1000 answered about
  // twice a second. Answers are counted only while children are still missing.
  const pid = d.child.pid;
  let answered = 0;
  const deadline = Date.now() + 120_000;
  while (childCount(pid) < 1000) {
    assert.ok(Date.now() < deadline, `the launch did not finish: ${childCount(pid)} children`);
    await d.port.daemonPid();
    if (childCount(pid) < 1000) answered++;
  }
  // 0 or 1 with async opens; 9 to 12 on a quiet machine since.
  assert.ok(answered >= 4, `only ${answered} answers while the launch was under way`);
  await waitFor(async () => (await d.status()).every((p) => p.state === "RUNNING"), {
    timeout: 120_000,
    what: "every instance RUNNING",
  });
});

/** Runs a command that must succeed (mount, umount). */
async function must(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

Deno.test("ENOSPC: a full log disk keeps whole lines only, counts dropped_bytes, and logs when writing resumes", async () => {
  await using dir = await tempDir();
  const disk = `${dir}/disk`;
  await Deno.mkdir(disk);
  // A 64 KiB tmpfs of our own (root only, as in CI): it fills in a moment.
  await must("mount", ["-t", "tmpfs", "-o", "size=64k", "tm-enospc", disk]);
  try {
    await using d = await TestDaemon.start(`
programs:
  chatty:
    cmd: /bin/sh -c 'i=0; while :; do i=$((i+1)); echo "line $i padded to look like a log line of output"; done'
    starttime: 0
    stdout: ${disk}/chatty.log
    stderr: none
`);
    const full = await waitFor(async () => {
      const [info] = await d.status(["chatty"]);
      return (info?.dropped_bytes?.stdout ?? 0) > 0 ? info : null;
    }, { timeout: 60_000, what: "bytes to be dropped" });
    assert.equal(full.dropped_bytes?.stderr, 0);
    // A write cut short is taken back to the last newline right after it
    // fails: a read in between can see the cut, so wait for the file to
    // settle on a newline; every line in it must then be whole.
    const wholeLines = async () => {
      const text = await waitFor(async () => {
        const t = await Deno.readTextFile(`${disk}/chatty.log`);
        return t.endsWith("\n") ? t : null;
      }, "the file to end with a whole line");
      for (const line of text.slice(0, -1).split("\n")) {
        assert.match(line, /^line \d+ padded to look like a log line of output$/);
      }
    };
    await wholeLines();
    await waitFor(async () => /Cannot write ".*chatty\.log": .*/.test(await d.eventLog()));
    // Room again: writing resumes, and says what was lost.
    await must("mount", ["-o", "remount,size=64m", disk]);
    await waitFor(
      async () =>
        /Writing to ".*chatty\.log" resumed; \d+ bytes were dropped/.test(await d.eventLog()),
      {
        timeout: 60_000,
        what: "the resumed line",
      },
    );
    // The program writes on: stop it so the file is read at rest.
    await d.port.stop(["chatty"]);
    await wholeLines();
  } finally {
    await must("umount", ["-l", disk]);
  }
});
