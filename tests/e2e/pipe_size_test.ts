/**
 * Children's output pipes are widened to 1 MiB only while their stream
 * floods, and given Linux's 64 KiB back once it calms down or falls silent:
 * for a user without CAP_SYS_RESOURCE every pipe's capacity counts against
 * a 64 MiB allowance, and past it each new pipe gets 8 KiB
 * (src/process/pipes.ts). Run as root, as CI does: no allowance applies.
 */
import assert from "node:assert/strict";
import { TestDaemon } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { pipeSizeOf } from "../_helpers/pipe_size.ts";

const WIDE = 1024 * 1024;
const DEFAULT = 64 * 1024;

function sizeOf(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

/** A program that writes MBs until `stop` exists, then does `after`. */
function flooder(name: string, after: string): string {
  return `
  ${name}:
    cmd: /bin/sh -c 'while [ ! -e ${name}.stop ]; do head -c 1000000 /dev/zero; done; ${after}'
    starttime: 0
    stdout: logs/${name}.out
    stdout_maxbytes: 0`;
}

Deno.test("output pipes: 64 KiB for a quiet program, 1 MiB while one floods, 64 KiB again once it calms down or falls silent", async () => {
  const lines = "i=0; while [ $i -lt 100 ]; do echo x; sleep 0.02; i=$((i+1)); done";
  await using d = await TestDaemon.start(`
programs:
  quiet:
    cmd: /bin/sh -c 'echo a line; exec /bin/sleep 1021'
    starttime: 0
    stdout: logs/quiet.out${flooder("silent", "exec /bin/sleep 1023")}${
    flooder("calms", `${lines}; exec /bin/sleep 1025`)
  }
  lines:
    cmd: /usr/bin/perl -e '$|=1; until (-e "lines.stop") { print "x" x 99, "\\n" for 1..1000 } sleep 1027'
    starttime: 0
    stdout: logs/lines.out
    stdout_maxbytes: 0
`);
  const pids = new Map<string, number | null>();
  for (const name of ["quiet", "silent", "calms", "lines"]) {
    pids.set(name, (await d.waitState(name, "RUNNING")).pid);
  }
  // "lines" writes one 100-byte line per write(2): its full 64 KiB pipe holds 64,000 bytes.
  for (const name of ["silent", "calms", "lines"]) {
    await waitFor(() => sizeOf(`${d.dir}/logs/${name}.out`) > 20_000_000 || null, {
      what: `${name}'s flood in its file`,
    });
    // Polled, not read once: on a loaded machine the relay can keep up with "lines" for 64
    // reads in a row, and its pipe is then rightly narrowed until it fills again.
    await waitFor(() => pipeSizeOf(pids.get(name)!, 1) === WIDE || null, {
      what: `${name}'s pipe widened while it floods`,
    });
  }
  assert.equal(
    pipeSizeOf(pids.get("quiet")!, 1),
    DEFAULT,
    "a quiet program's pipe keeps Linux's default",
  );

  for (const name of ["silent", "calms", "lines"]) {
    await Deno.writeTextFile(`${d.dir}/${name}.stop`, "");
  }
  // No read for a second or two: the idle sweep narrows it.
  await waitFor(() => pipeSizeOf(pids.get("silent")!, 1) === DEFAULT || null, {
    what: "the silent program's pipe narrowed",
  });
  // 100 short lines, 20 ms apart, after its flood: narrowed after 64 of them.
  await waitFor(() => pipeSizeOf(pids.get("calms")!, 1) === DEFAULT || null, {
    what: "the calmed program's pipe narrowed",
  });
});
