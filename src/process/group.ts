/**
 * Process-group facts and signals. Every child leads its own group, so a
 * stop reaches grandchildren too (SEMANTICS.md, difference 2).
 *
 * @module
 */

/**
 * Whether any live (non-zombie) process is still in group `pgid`.
 * `kill(-pgid, 0)` answers the common case in one syscall. Only when it says
 * yes do we ask `ps`, to tell zombies (orphans that nobody reaped yet: many
 * container inits never do) from the living; Deno denies /proc without
 * --allow-all, and `ps` needs only --allow-run.
 */
export async function groupAlive(pgid: number): Promise<boolean> {
  try {
    Deno.kill(-pgid, 0 as unknown as Deno.Signal);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    return true;
  }
  const members = await liveMembers(pgid);
  return members === null || members.length > 0;
}

/** Pids of the non-zombie members of group `pgid`, or null when `ps` cannot tell. */
export async function liveMembers(pgid: number): Promise<number[] | null> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("ps", {
      args: ["-e", "-o", "pid=,pgid=,stat="],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
  } catch {
    return null;
  }
  if (!out.success) return null;
  const members: number[] = [];
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const [pid, group, stat] = line.trim().split(/\s+/);
    if (Number(group) === pgid && stat !== undefined && !stat.startsWith("Z")) {
      members.push(Number(pid));
    }
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
