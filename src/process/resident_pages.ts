/**
 * Giving back the pages only start-up used. Starting the daemon (module
 * resolution, TypeScript, the npm resolver, the config's validation) runs
 * code of the `deno` executable that an idle daemon never runs again; the
 * kernel keeps those pages in the daemon's resident set until it needs the
 * memory, about 30 of the 70 MB of a daemon with no program (bench/RESULTS.md,
 * sixth pass). They are unmodified copies of the files, so dropping them from
 * the daemon's page tables loses nothing: they stay in the page cache and a
 * minor fault maps them back when the code runs again, as after any eviction.
 *
 * Only mappings that can hold nothing but file contents are dropped: of the
 * `deno` executable itself (never unmapped, unlike a library a thread may
 * dlclose between the read of smaps and the madvise), private, not
 * writable, not locked nor under userfaultfd, with no anonymous
 * (copy-on-write) page, resident or swapped out, and no dirty page. A
 * read-only mapping that was written before it was protected (relocated
 * data) has anonymous pages and is left alone: MADV_DONTNEED would put the
 * file's bytes back under it.
 *
 * @module
 */

import { libc } from "./libc.ts";
import { readKernelFile } from "./kernel_files.ts";

/** madvise(2) advice: drop the range's pages from this process. */
const MADV_DONTNEED = 4;
const KB = 1024;

/** A mapping whose resident pages are all clean copies of its file. */
export interface CleanMapping {
  readonly start: bigint;
  readonly length: bigint;
  readonly residentBytes: number;
}

/** What {@link releaseStartupPages} gave back. */
export interface ReleasedPages {
  readonly mappings: number;
  readonly bytes: number;
}

const HEADER = /^([0-9a-f]+)-([0-9a-f]+) ([-rwxsp]{4}) [0-9a-f]+ [0-9a-f]+:[0-9a-f]+ (\d+)\s*(.*)$/;
const FIELD = /^(Rss|Anonymous|Private_Dirty|Shared_Dirty|Swap|SwapPss):\s+(\d+) kB$/;
/** VmFlags of a mapping to leave alone: locked, or handled by userfaultfd. */
const UNTOUCHABLE = /^VmFlags:.*\b(lo|um|uw|ui)\b/;
/** Fields that must all be present and zero. */
const MUST_BE_ZERO = ["Anonymous", "Private_Dirty", "Shared_Dirty", "Swap", "SwapPss"];

interface Candidate {
  start: bigint;
  end: bigint;
  /** Still a candidate: of the file, private, read-only. */
  eligible: boolean;
  fields: Map<string, number>;
}

function clean(c: Candidate | null): CleanMapping | null {
  if (c === null || !c.eligible) return null;
  const rss = c.fields.get("Rss");
  // A field missing from the kernel's text (an older kernel, a cut read) is
  // not taken as zero: the mapping is left alone.
  if (rss === undefined || rss === 0) return null;
  for (const key of MUST_BE_ZERO) {
    if (c.fields.get(key) !== 0) return null;
  }
  return { start: c.start, length: c.end - c.start, residentBytes: rss * KB };
}

/** The mappings of `file` in a /proc/PID/smaps text whose resident pages may be dropped. */
export function cleanFileMappings(smaps: string, file: string): CleanMapping[] {
  const found: CleanMapping[] = [];
  let current: Candidate | null = null;
  for (const line of smaps.split("\n")) {
    const header = HEADER.exec(line);
    if (header !== null) {
      const mapping = clean(current);
      if (mapping !== null) found.push(mapping);
      const [, start, end, perms, inode, path] = header as unknown as string[];
      current = {
        start: BigInt(`0x${start}`),
        end: BigInt(`0x${end}`),
        eligible: path === file && perms![1] !== "w" && perms![3] === "p" && inode !== "0",
        fields: new Map(),
      };
      continue;
    }
    if (current === null || !current.eligible) continue;
    if (UNTOUCHABLE.test(line)) {
      current.eligible = false;
      continue;
    }
    const field = FIELD.exec(line);
    if (field !== null) current.fields.set(field[1]!, Number(field[2]));
  }
  const last = clean(current);
  if (last !== null) found.push(last);
  return found;
}

/**
 * Drops this process's clean pages of its executable and returns freed
 * malloc memory to the kernel; null where /proc or FFI is not available.
 * `bytes` is what was resident in the mappings dropped.
 */
export function releaseStartupPages(): ReleasedPages | null {
  const c = libc();
  if (c === null) return null;
  const smaps = readKernelFile("/proc/self/smaps");
  if (smaps === null) return null;
  let executable;
  try {
    executable = Deno.execPath();
  } catch {
    return null; // no read permission for it
  }
  let mappings = 0;
  let bytes = 0;
  for (const mapping of cleanFileMappings(smaps, executable)) {
    const start = Deno.UnsafePointer.create(mapping.start);
    if (c.symbols.madvise(start, mapping.length, MADV_DONTNEED) !== 0) continue;
    mappings++;
    bytes += mapping.residentBytes;
  }
  c.symbols.malloc_trim?.(0n);
  return { mappings, bytes };
}
