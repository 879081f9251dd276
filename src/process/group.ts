/**
 * Process-group facts and signals. Every child leads its own group, so a
 * stop reaches grandchildren too (SEMANTICS.md, difference 2).
 *
 * @module
 */

/**
 * Whether any live (non-zombie) process is still in group `pgid`.
 * `kill(-pgid, 0)` answers the common case in one syscall; only when it says
 * yes does /proc tell zombies (orphans nobody reaped yet) from the living.
 */
export function groupAlive(pgid: number): boolean {
  try {
    Deno.kill(-pgid, 0 as unknown as Deno.Signal);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    return true;
  }
  return liveMembers(pgid).length > 0;
}

/** Pids of the non-zombie members of group `pgid`, from /proc. */
export function liveMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid)) continue;
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    } catch {
      continue; // exited while we looked
    }
    // Fields after the parenthesised command name: state ppid pgrp …
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z") members.push(pid);
  }
  return members;
}

/**
 * Sends `signal` to the whole group. Returns false when the group no longer
 * exists; other failures (EPERM) are thrown for the caller to report.
 */
export function signalGroup(pgid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(-pgid, signal);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
