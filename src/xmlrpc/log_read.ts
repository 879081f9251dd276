/**
 * supervisord's two ways of reading a log file over XML-RPC: `readFile`
 * (offset/length, a negative offset reads from the end) and `tailFile`
 * (the `[bytes, offset, overflow]` triple `tail -f` clients poll with).
 *
 * @module
 */

import { readAt } from "../output/tail.ts";
import { RpcFault } from "./faults.ts";

const decoder = new TextDecoder();

/** supervisor's `readFile`: BAD_ARGUMENTS for a negative length (or both set with a negative offset), FAILED when unreadable. */
export async function readLogFile(path: string, offset: number, length: number): Promise<string> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch {
    throw new RpcFault("FAILED");
  }
  try {
    const size = (await file.stat()).size;
    if (offset < 0) {
      if (length !== 0) throw new RpcFault("BAD_ARGUMENTS");
      const pos = Math.max(0, size + offset);
      return decoder.decode(await readAt(file, pos, Math.min(-offset, size - pos)));
    }
    if (length < 0) throw new RpcFault("BAD_ARGUMENTS");
    const want = length === 0
      ? Math.max(0, size - offset)
      : Math.min(length, Math.max(0, size - offset));
    return decoder.decode(await readAt(file, offset, want));
  } finally {
    file.close();
  }
}

/** supervisor's `tailFile`: `[string bytes, int offset, bool overflow]`. */
export async function tailLogFile(
  path: string,
  offset: number,
  length: number,
): Promise<[string, number, boolean]> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch {
    return ["", offset, false];
  }
  try {
    const size = (await file.stat()).size;
    let overflow = false;
    if (size > offset + length) {
      overflow = true;
      offset = size - 1;
    }
    if (offset + length > size) {
      if (offset > size - 1) length = 0;
      offset = size - length;
    }
    if (offset < 0) offset = 0;
    if (length < 0) length = 0;
    const data = length === 0 ? new Uint8Array() : await readAt(file, offset, length);
    return [decoder.decode(data), size, overflow];
  } finally {
    file.close();
  }
}
