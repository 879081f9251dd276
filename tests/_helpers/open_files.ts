/**
 * Whether a process of ours holds a descriptor on a path, read from
 * /proc/PID/fd as `ls -l /proc/PID/fd` would show it.
 *
 * @module
 */

/** Whether process `pid` ("self": this test process) holds a descriptor on `path`. */
export function holdsFile(pid: number | "self", path: string): boolean {
  for (const entry of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      if (Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`) === path) return true;
    } catch {
      // Closed while we looked.
    }
  }
  return false;
}
