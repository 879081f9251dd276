/**
 * The pidfile: written at start, removed at exit; a pidfile naming a live
 * process that is not us is left alone.
 *
 * @module
 */

/** Writes our pid to `path` (creating its directory). */
async function writePidfile(path: string): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf("/"));
  if (dir !== "") await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(path, `${Deno.pid}\n`);
}

/** Removes `path` if it still holds our pid. */
export function removePidfile(path: string): void {
  try {
    if (Deno.readTextFileSync(path).trim() === String(Deno.pid)) Deno.removeSync(path);
  } catch {
    // Already gone, or replaced by someone else: nothing of ours to remove.
  }
}

/**
 * The pid a previous run left in `path`, when it is not ours: that taskmaster did not shut
 * down cleanly (SIGKILL, OOM). By the time this is asked, the socket check has made sure no
 * taskmaster is running on this config.
 */
function leftoverPid(path: string): number | null {
  try {
    const pid = Number(Deno.readTextFileSync(path).trim());
    return Number.isInteger(pid) && pid > 0 && pid !== Deno.pid ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Writes our pid to `path`; returns the warning for a previous taskmaster
 * that left it behind without shutting down, else null. Our pid is in the
 * file before the warning is out: whoever reads the warning finds the file
 * already current.
 */
export async function claimPidfile(path: string): Promise<string | null> {
  const previous = leftoverPid(path);
  await writePidfile(path);
  return previous === null
    ? null
    : `the taskmaster of pidfile ${path} (pid ${previous}) is gone without shutting down: programs it started may still be running`;
}
