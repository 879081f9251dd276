/**
 * Opening a log file's path for appending, creating the file and its
 * directory (a logdir removed while taskmaster runs comes back at the next
 * open).
 *
 * @module
 */

/** An open path, with what it was found to be. */
export interface OpenedPath {
  readonly file: Deno.FsFile;
  readonly size: number;
  /** A regular file (else a FIFO, a terminal, a device). */
  readonly regular: boolean;
  readonly ino: number | null;
}

/**
 * Opens `path`, asynchronously where it may be a FIFO without a reader yet.
 * Throws on failure.
 *
 * A regular file, or none yet, is opened synchronously (a swap to a FIFO
 * in between is accepted, as in {@link openAppendSync}): three async file
 * operations per log, two logs per instance, left a launch of 1,000
 * answering its socket about twice a second (Deno served the control
 * connection only after the file operations queued ahead of it).
 */
export async function openAppend(path: string): Promise<OpenedPath> {
  let file: Deno.FsFile | null = null;
  try {
    if (regularOrMissing(path)) {
      file = openAppendSync(path);
      const info = file.statSync();
      return { file, size: info.size, regular: info.isFile, ino: info.ino };
    }
    await Deno.mkdir(dirname(path), { recursive: true });
    file = await Deno.open(path, { append: true, create: true });
    const info = await file.stat();
    return { file, size: info.size, regular: info.isFile, ino: info.ino };
  } catch (error) {
    file?.close();
    throw error;
  }
}

/** Whether `path` is a regular file or does not exist (a FIFO, a device, an error: false). */
function regularOrMissing(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch (error) {
    return error instanceof Deno.errors.NotFound;
  }
}

/**
 * Opens `path` synchronously: only for a path that was a regular file (or
 * never opened): openSync cannot block on a FIFO unless someone swapped one
 * in, which we accept. Throws on failure.
 */
export function openAppendSync(path: string): Deno.FsFile {
  try {
    return Deno.openSync(path, { append: true, create: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    Deno.mkdirSync(dirname(path), { recursive: true });
    return Deno.openSync(path, { append: true, create: true });
  }
}

/** The directory part of an absolute path (`/a/b/c.log` → `/a/b`). */
export function dirname(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}
