/**
 * Children's output pipes are widened to 1 MiB only while their stream
 * floods, and given Linux's 64 KiB back once it is quiet: for a user
 * without CAP_SYS_RESOURCE every pipe's capacity counts against a 64 MiB
 * allowance, and past it each new pipe gets 8 KiB (src/process/pipes.ts).
 */
import assert from "node:assert/strict";
import { libc } from "../../src/process/libc.ts";
import { TestDaemon } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const F_GETPIPE_SZ = 1032;
const O_WRONLY = 1;
const FLOOD = 20_000_000;

/** The capacity of the pipe behind `pid`'s fd 1. */
function stdoutPipeSize(pid: number | null): number {
  assert.ok(pid !== null, "running, with a pid");
  const c = libc()!;
  const own = c.symbols.open(new TextEncoder().encode(`/proc/${pid}/fd/1\0`), O_WRONLY);
  assert.ok(own >= 0, `fd 1 of ${pid} can be opened`);
  try {
    return c.symbols.fcntl(own, F_GETPIPE_SZ, 0);
  } finally {
    c.symbols.close(own);
  }
}

function sizeOf(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

Deno.test("output pipes: 64 KiB for a quiet program, 1 MiB while one floods, 64 KiB again once it calms down", async () => {
  await using d = await TestDaemon.start(`
programs:
  quiet:
    cmd: /bin/sleep 1021
    starttime: 0
    stdout: logs/quiet.out
  flood:
    cmd: /bin/sh -c 'head -c ${FLOOD} /dev/zero; exec /bin/sleep 1023'
    starttime: 0
    stdout: logs/flood.out
    stdout_maxbytes: 0
  calms:
    cmd: /bin/sh -c 'head -c ${FLOOD} /dev/zero; i=0; while [ $i -lt 100 ]; do echo x; sleep 0.02; i=$((i+1)); done; exec /bin/sleep 1025'
    starttime: 0
    stdout: logs/calms.out
    stdout_maxbytes: 0
`);
  const quiet = (await d.waitState("quiet", "RUNNING")).pid;
  const flood = (await d.waitState("flood", "RUNNING")).pid;
  const calms = (await d.waitState("calms", "RUNNING")).pid;
  await waitFor(() => sizeOf(`${d.dir}/logs/flood.out`) === FLOOD || null, {
    what: "the flood in its file",
  });
  assert.equal(stdoutPipeSize(quiet), 64 * 1024, "a quiet program's pipe keeps Linux's default");
  assert.equal(stdoutPipeSize(flood), 1024 * 1024, "a flood's pipe is widened");
  // 100 short lines after its flood: given back after 64 of them.
  await waitFor(() => sizeOf(`${d.dir}/logs/calms.out`) === FLOOD + 200 || null, {
    what: "the calm lines in their file",
  });
  assert.equal(stdoutPipeSize(calms), 64 * 1024, "narrowed again once quiet");
});
