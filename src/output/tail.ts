/**
 * The end of a log file, for `tail` and `log -n`: reads backwards from the
 * end in blocks (seek), never the whole file.
 *
 * @module
 */

import { concatBytes } from "../util/bytes.ts";

const NEWLINE = 10;
const BLOCK = 64 * 1024;
/** readLastLines never reads more than this much, even if the lines are longer. */
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/** Options of {@link readLastLines}. */
export interface ReadLastLinesOptions {
  /** Upper bound on the bytes read (a file of one huge line). @default 4194304 */
  readonly maxBytes?: number;
}

/**
 * The last `lines` lines of `path` as text (a final line without a newline
 * counts as a line; the trailing newline is kept). Missing file → "".
 */
export async function readLastLines(
  path: string,
  lines: number,
  options: ReadLastLinesOptions = {},
): Promise<string> {
  if (lines <= 0) return "";
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const file = await openOrNull(path);
  if (file === null) return "";
  try {
    const size = (await file.stat()).size;
    const floor = Math.max(0, size - maxBytes);
    const blocks: Uint8Array[] = [];
    let position = size;
    let newlines = 0;
    let cutInFirst = -1; // offset in blocks[0] where the wanted text starts
    let first = true;
    while (position > floor && cutInFirst < 0) {
      const start = Math.max(floor, position - BLOCK);
      const block = await readAt(file, start, position - start);
      blocks.unshift(block);
      // Scan backwards; a newline that is the file's last byte ends the last line, not a new one.
      for (let i = block.length - 1; i >= 0; i--) {
        if (block[i] !== NEWLINE) continue;
        if (first && start + i === size - 1) continue;
        if (++newlines === lines) {
          cutInFirst = i + 1;
          break;
        }
      }
      first = false;
      position = start;
    }
    const joined = concatBytes(blocks);
    const from = cutInFirst >= 0 ? cutInFirst : skipContinuationBytes(joined, floor > 0);
    return new TextDecoder().decode(joined.subarray(from));
  } finally {
    file.close();
  }
}

async function openOrNull(path: string): Promise<Deno.FsFile | null> {
  try {
    return await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** Reads up to `length` bytes at `offset` (fewer if the file shrank meanwhile). */
export async function readAt(
  file: Deno.FsFile,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  await file.seek(offset, Deno.SeekMode.Start);
  const out = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const n = await file.read(out.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return out.subarray(0, filled);
}

/** When reading started mid-file, skip up to 3 UTF-8 continuation bytes of a cut character. */
function skipContinuationBytes(data: Uint8Array, cut: boolean): number {
  if (!cut) return 0;
  let i = 0;
  while (i < 3 && i < data.length && ((data[i] ?? 0) & 0xc0) === 0x80) i++;
  return i;
}
