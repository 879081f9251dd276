import assert from "node:assert/strict";
import { waitFor } from "../_helpers/wait_for.ts";
import { tempDir } from "../_helpers/daemon.ts";
import { crash, manager } from "./_manager.ts";

Deno.test("exec: the command gets the payload on stdin and TM_* variables", async () => {
  await using dir = await tempDir();
  await using m = manager(`  channels:
    run: {exec: {cmd: "/bin/sh -c 'cat > ${dir}/stdin.json; env > ${dir}/env.txt'", timeout: 60}}
  rules:
    - {events: [crashed], channels: [run], cooldown: 0}
`);
  crash(m.alerts, "web:1", 3);
  await waitFor(() => m.alerts.stats()[0]!.sent === 1, {
    what: "the command to finish",
    timeout: 60_000,
  });
  const payload = JSON.parse(await Deno.readTextFile(`${dir}/stdin.json`));
  assert.equal(payload.event, "crashed");
  assert.equal(payload.instance, "web:1");
  assert.equal(payload.exit_code, 3);
  assert.deepEqual(payload.log_tail, { stdout: ["last out"], stderr: ["last err"] });
  const env = Object.fromEntries(
    (await Deno.readTextFile(`${dir}/env.txt`)).trim().split("\n").map((l) => {
      const i = l.indexOf("=");
      return [l.slice(0, i), l.slice(i + 1)];
    }),
  );
  assert.equal(env.TM_EVENT, "crashed");
  assert.equal(env.TM_PROGRAM, "web");
  assert.equal(env.TM_INSTANCE, "web:1");
  assert.equal(env.TM_EXIT_CODE, "3");
  assert.equal(env.TM_EXPECTED, "false");
  assert.equal(env.TM_FROM_STATE, "RUNNING");
  assert.equal(env.TM_TO_STATE, "EXITED");
  assert.equal(env.TM_HOST, "testhost");
  assert.equal(env.TM_SUBJECT, "[taskmaster] web:1 crashed (exit 3) on testhost");
});

Deno.test("exec: a hanging command is killed at its timeout, its whole group with it", async () => {
  await using dir = await tempDir();
  await using m = manager(`  channels:
    slow: {exec: {cmd: "/bin/sh -c 'echo $$ > ${dir}/pid; sleep 1013.7 & echo $! > ${dir}/child; wait'", timeout: 0.5}}
  rules:
    - {events: [crashed], channels: [slow], cooldown: 0}
`);
  crash(m.alerts, "web:0");
  await waitFor(() => m.alerts.stats()[0]!.failed === 1, { what: "the timeout", timeout: 60_000 });
  assert.equal(m.alerts.stats()[0]!.last_error, "timed out after 0.5 s: killed");
  const pids = [await Deno.readTextFile(`${dir}/pid`), await Deno.readTextFile(`${dir}/child`)]
    .map((p) => Number(p.trim()));
  await waitFor(() => pids.every((pid) => !alive(pid)), {
    what: "the command and its child to be gone",
    timeout: 60_000,
  });
});

Deno.test("exec: a failing command reports its status and last stderr line", async () => {
  await using m = manager(`  channels:
    bad: {exec: {cmd: "/bin/sh -c 'echo nope >&2; exit 4'"}}
  rules:
    - {events: [crashed], channels: [bad]}
`);
  const result = await m.alerts.test("bad");
  assert.deepEqual(result, {
    channel: "bad",
    ok: false,
    error: "/bin/sh exited with status 4: nope",
  });
});

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
