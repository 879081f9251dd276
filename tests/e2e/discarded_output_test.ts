/**
 * Issue 17: a stream written as `stdout: /dev/null` that nobody reads (no
 * PROCESS_LOG events, no `log_line` probe) is /dev/null in the child, with
 * no pipe for the daemon to read and drop; `null` keeps its pipe (its live
 * output can be followed), and so does a stream that is read. A reload that
 * changes which one a stream is restarts the program.
 */
import assert from "node:assert/strict";
import { TestDaemon } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";

/** A program that writes what its fd 1 is to its stderr file, then sleeps. */
function reporter(name: string, extra = "", stdout = "/dev/null"): string {
  return `
  ${name}:
    cmd: /bin/sh -c 'echo "fd1=$(readlink /proc/$$/fd/1) pid=$$" >&2; echo ready; exec /bin/sleep 1017'
    starttime: 0
    stdout: ${stdout}
    stderr: logs/${name}.err${extra}`;
}

/** What fd 1 was in `name`'s program (the one with `pid`, when given), from its stderr file. */
async function fd1Of(d: TestDaemon, name: string, pid?: number): Promise<string> {
  const path = `${d.dir}/logs/${name}.err`;
  return await waitFor(async () => {
    const text = await Deno.readTextFile(path).catch(() => "");
    const lines = [...text.matchAll(/^(fd1=\S*) pid=(\d+)$/gm)];
    return lines.find((m) => pid === undefined || Number(m[2]) === pid)?.[1] ?? null;
  }, { what: `${name}'s stderr line` });
}

Deno.test("stdout: /dev/null is /dev/null in the child; null, events or a log_line probe keep a pipe", async () => {
  await using d = await TestDaemon.start(`
programs:${reporter("quiet")}${reporter("evented", "\n    stdout_events_enabled: true")}${
    reporter("probed", '\n    readiness: {log_line: "^ready"}')
  }${reporter("followable", "", "null")}
  bare:
    cmd: /bin/sleep 1019
    starttime: 0
    umask: "022"
    stdout: /dev/null
    stderr: /dev/null
`);
  assert.equal(await fd1Of(d, "quiet"), "fd1=/dev/null");
  assert.match(await fd1Of(d, "evented"), /^fd1=pipe:\[\d+\]$/);
  assert.match(await fd1Of(d, "probed"), /^fd1=pipe:\[\d+\]$/);
  assert.match(await fd1Of(d, "followable"), /^fd1=pipe:\[\d+\]$/);
  // The probe still reads the stream: the instance becomes ready.
  await waitFor(async () => (await d.info("probed")).ready === true, { what: "probed ready" });
  // Both streams, started natively (umask): no pipe at all.
  const { pid } = await d.waitState("bare", "RUNNING");
  assert.equal(Deno.readLinkSync(`/proc/${pid}/fd/1`), "/dev/null");
  assert.equal(Deno.readLinkSync(`/proc/${pid}/fd/2`), "/dev/null");
  // Nothing to follow: said at once, not a stream that stays empty.
  await assert.rejects(
    d.port.follow("quiet", "stdout", AbortSignal.timeout(30_000)),
    (e: Error & { code?: string }) => e.code === "NO_FILE",
  );
  // Stopping an instance without pipes ends as any other.
  const stopped = await d.port.stop(["bare"]);
  assert.ok(stopped.every((r) => r.ok), JSON.stringify(stopped));
  assert.equal((await d.info("bare")).state, "STOPPED");
  assert.match(await d.eventLog(), /stopped: bare \(terminated by SIGTERM\)/);
});

Deno.test("a reload that gives a /dev/null stream a reader restarts the program; one with a pipe does not", async () => {
  const config = (events: boolean) => `
programs:${reporter("quiet", `\n    stdout_events_enabled: ${events}`)}
  filed:
    cmd: /bin/sleep 1018
    starttime: 0
    stdout: logs/filed.out
    stdout_events_enabled: ${events}
`;
  await using d = await TestDaemon.start(config(false));
  assert.equal(await fd1Of(d, "quiet"), "fd1=/dev/null");
  const running = async (name: string) =>
    await waitFor(async () => {
      const info = await d.info(name);
      return info.state === "RUNNING" ? info.pid : null;
    }, { what: `${name} RUNNING` });
  const quietPid = await running("quiet");
  const filedPid = await running("filed");
  await d.writeConfig(config(true));
  await d.port.reload();
  const restarted = await waitFor(async () => {
    const pid = await running("quiet");
    return pid !== quietPid ? pid : null;
  }, { what: "quiet restarted" });
  assert.notEqual(restarted, quietPid);
  assert.match(await fd1Of(d, "quiet", restarted), /^fd1=pipe:\[\d+\]$/);
  assert.equal(await running("filed"), filedPid, "a stream with a file kept its pipe: no restart");
});
