/**
 * The pidfile: written at start, removed at exit; a pidfile naming a live
 * process that is not us is left alone.
 *
 * @module
 */

/** Writes our pid to `path` (creating its directory). */
export async function writePidfile(path: string): Promise<void> {
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
