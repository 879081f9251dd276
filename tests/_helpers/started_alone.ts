import assert from "node:assert/strict";
import { waitFor } from "./wait_for.ts";

/** `Name:\tvalue` lines of /proc/PID/status. */
export function procStatus(pid: number): Map<string, string> {
  const lines = Deno.readTextFileSync(`/proc/${pid}/status`).split("\n");
  return new Map(lines.map((line) => line.split(":\t") as [string, string]));
}

/**
 * Asserts what every program must start with, whichever way it was
 * spawned: the leader of a session and process group of its own, no signal
 * ignored or blocked (Deno ignores SIGPIPE itself: a child must not inherit
 * that), and only fds 0–2, each a pipe. `ignoredAllowed`: signals its libc
 * leaves ignored and no program sees (glibc's posix_spawn: 32 and 33).
 */
export async function assertStartedAlone(pid: number, ignoredAllowed = 0n): Promise<void> {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const [, , pgrp, session] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  assert.equal(Number(session), pid, "the leader of a session of its own");
  assert.equal(Number(pgrp), pid, "and of its process group");
  const status = procStatus(pid);
  const ignored = BigInt(`0x${status.get("SigIgn")}`) & ~ignoredAllowed;
  assert.equal(ignored, 0n, "no signal ignored");
  assert.equal(status.get("SigBlk"), "0000000000000000", "no signal blocked");
  // Polled: just after its exec, sleep opens and closes a locale file of its
  // own (fd 3). A descriptor of the daemon's would stay, and time this out.
  await waitFor(() => {
    const fds = [...Deno.readDirSync(`/proc/${pid}/fd`)].map((e) => Number(e.name));
    if (fds.sort((a, b) => a - b).join(" ") === "0 1 2") return true;
    const links = fds.map((fd) => {
      try {
        return `${fd} ${Deno.readLinkSync(`/proc/${pid}/fd/${fd}`)}`;
      } catch {
        return `${fd}`;
      }
    });
    throw new Error(`it holds ${links.join(", ")}`);
  }, { timeout: 5_000, what: "only fds 0-2, none of the daemon's descriptors" });
  for (const fd of [0, 1, 2]) assert.match(Deno.readLinkSync(`/proc/${pid}/fd/${fd}`), /^pipe:/);
}

/**
 * The names process `pid` had until it was named `program`. A vfork-style
 * spawn returns as the child's exec lets go of the parent's memory, a moment
 * before the kernel closes the close-on-exec descriptors and names the
 * child after the program: until then it has the spawning thread's name
 * (`deno`, a worker's), never a shell's unless a shell ran first.
 */
export async function namesUntil(pid: number, program: string): Promise<string[]> {
  const names: string[] = [];
  await waitFor(() => {
    const name = Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
    if (names.at(-1) !== name) names.push(name);
    return name === program;
  }, {
    timeout: 5_000,
    interval: 1,
    what: `${pid} to be named ${program} (was ${names.join(" -> ")})`,
  });
  return names;
}
