/**
 * A log file's open handle and what is known of its end, with the
 * synchronous write path of a regular file: appends, size rotation and the
 * clean-up after a failed write. {@link LogFile} decides when to open,
 * reopen or close; this writes.
 *
 * Rotation cuts on a newline: when the rest of an open line does not fit,
 * the line's beginning (at most 64 KiB, remembered) moves to the fresh file
 * with it, so no line is split across files unless one line alone is longer
 * than the limit. Rotation is synchronous, so it happens between two writes
 * and no other relay can slip a line in between.
 *
 * A write cut short (ENOSPC after part of a block) is truncated back to its
 * last newline, so new text is never glued onto a line cut by the full disk;
 * the rest of a line whose beginning was dropped is dropped too.
 *
 * @module
 */

import { shiftBackups } from "./backups.ts";
import type { DropAccount } from "./drop_account.ts";

/** Rotation settings of a log file; the first relay to open a path sets them. */
export interface RotationSettings {
  /** Rotate when the file would grow past this many bytes; 0 never rotates. */
  readonly maxBytes: number;
  /** How many rotated files are kept; 0 truncates the file in place instead. */
  readonly backups: number;
}

export const NEWLINE = 10;
/** Longest open line remembered so rotation can move it whole to the fresh file. */
export const OPEN_LINE_LIMIT = 64 * 1024;

/** One path's handle, size and last line. */
export class RotatingFile {
  readonly path: string;
  /** The open handle; null while closed (idle, failed, or closed for good). */
  file: Deno.FsFile | null = null;
  /** Current size of the file as far as this writer knows. */
  size = 0;
  /** The inode of the file the handle had, to tell it is the same file at reopen. */
  ino: number | null = null;
  /** Bumped whenever `file` is replaced, so a slow reopen can tell it lost a race. */
  generation = 0;
  /** When the path was last opened (or tried): failed opens are retried at most once a second. */
  lastOpenAttempt = 0;
  /** Background deletions of dropped backups, awaited at close. */
  readonly removals = new Set<Promise<void>>();
  readonly #settings: RotationSettings;
  readonly #drops: DropAccount;
  /** Told when a failed write cut the file back to a newline: no line is open any more. */
  readonly #lineCut: () => void;
  /** Where the file's last line starts: at `size` unless it ends inside a line. */
  #lineStart = 0;
  /**
   * The bytes after the file's last newline (empty when it ends on one), or
   * null when unknown: a line longer than OPEN_LINE_LIMIT, or a file we
   * found non-empty at open.
   */
  #openLine: Uint8Array | null = new Uint8Array(0);
  /** Dropped bytes ended inside a line: its rest is dropped too, up to the next newline. */
  #skipToNewline = false;

  constructor(
    path: string,
    settings: RotationSettings,
    drops: DropAccount,
    lineCut: () => void,
  ) {
    this.path = path;
    this.#settings = settings;
    this.#drops = drops;
    this.#lineCut = lineCut;
  }

  /**
   * Takes a file as found: writing goes on at its end, and whether its last
   * line is whole is unknown unless the file is empty.
   */
  takeAsFound(info: { readonly ino: number | null; readonly size: number }): void {
    this.ino = info.ino;
    this.size = info.size;
    this.#lineStart = this.size;
    this.#openLine = this.size === 0 ? new Uint8Array(0) : null;
  }

  overLimit(extra: number): boolean {
    return this.#settings.maxBytes > 0 && this.size + extra > this.#settings.maxBytes;
  }

  /** Truncates the file to zero bytes. Throws what truncation throws. */
  clear(): void {
    this.file?.truncateSync(0);
    this.size = 0;
    this.#lineStart = this.size;
    this.#openLine = new Uint8Array(0);
  }

  /** Writes `block`, rotating on newline boundaries so no file passes maxBytes. Throws on failure. */
  writeRotating(block: Uint8Array): void {
    let rest = block;
    const max = this.#settings.maxBytes;
    let sizeChecked = false;
    while (rest.length > 0) {
      if (!this.overLimit(rest.length)) {
        this.writeAll(rest);
        return;
      }
      if (!sizeChecked) {
        sizeChecked = true;
        if (this.#takeActualSize()) continue;
      }
      const room = max - this.size;
      // Longest prefix of whole lines that still fits in this file.
      let cut = room > 0 ? rest.lastIndexOf(NEWLINE, room - 1) + 1 : 0;
      if (cut === 0) {
        const open = this.#openLine?.length ?? -1;
        if (open > 0 && open < this.size) {
          // The open line's rest does not fit: the whole line goes to a fresh file.
          this.#rotateMovingOpenLine();
          continue;
        }
        if (open !== this.size && this.size > 0) {
          // The next line fits in a file of its own: start one.
          this.rotate();
          continue;
        }
        // One line alone is longer than maxBytes: the only case that splits a line.
        cut = room;
      }
      this.writeAll(rest.subarray(0, cut));
      rest = rest.subarray(cut);
      if (rest.length > 0) this.rotate();
    }
  }

  /**
   * Before a rotation, the open file's own size rather than the writer's
   * count: the file may have been emptied or cut behind the writer's back
   * (logrotate's copytruncate, supervisord's clearLog on the event log, which
   * stays open), and rotating on a stale count would push out a real backup
   * for a nearly empty file. True when the count was stale and is now right.
   */
  #takeActualSize(): boolean {
    let size: number | undefined;
    try {
      size = this.file?.statSync().size;
    } catch {
      return false; // keep the count: the write's own error, if any, is reported there
    }
    if (size === undefined || size === this.size) return false;
    this.takeAsFound({ ino: this.ino, size });
    return true;
  }

  /** Appends `block` whole (no rotation); a failure cuts the file back to a newline and throws. */
  writeAll(block: Uint8Array): void {
    const file = this.file;
    if (file === null) return this.dropBlock(block);
    let bytes = block;
    if (this.#skipToNewline) {
      // The start of this line was dropped: its end alone would be a fragment.
      const newline = bytes.indexOf(NEWLINE);
      if (newline < 0) return this.#drops.drop(bytes.byteLength);
      this.#drops.drop(newline + 1);
      this.#skipToNewline = false;
      bytes = bytes.subarray(newline + 1);
      if (bytes.length === 0) return;
    }
    const start = this.size;
    let rest = bytes;
    try {
      while (rest.length > 0) {
        const n = file.writeSync(rest);
        this.size += n;
        rest = rest.subarray(n);
      }
    } catch (error) {
      // Whole lines or none: cut the file back to its last newline, taking out
      // the start of a line an earlier block left open, so later text is never
      // glued onto a line the full disk cut.
      const written = bytes.length - rest.length;
      const newline = written === 0 ? -1 : bytes.lastIndexOf(NEWLINE, written - 1);
      const keepAt = newline >= 0 ? start + newline + 1 : this.#lineStart;
      if (keepAt < this.size) {
        try {
          file.truncateSync(keepAt);
          this.#drops.drop(this.size - keepAt);
          this.size = keepAt;
          this.#lineStart = keepAt;
          this.#lineCut();
          this.#openLine = new Uint8Array(0);
        } catch {
          // Cannot even truncate: the partial line stays.
        }
      }
      this.#drops.drop(rest.byteLength);
      this.#skipToNewline = bytes[bytes.length - 1] !== NEWLINE;
      throw error;
    }
    const newline = bytes.lastIndexOf(NEWLINE);
    if (newline >= 0) this.#lineStart = start + newline + 1;
    this.#drops.succeeded();
    this.#rememberOpenLine(bytes);
  }

  /**
   * The inode a copy made elsewhere may append to (native_copy.ts): null
   * when unknown, or while the rest of a dropped line is being dropped.
   */
  appendableIno(): number | null {
    return this.#skipToNewline ? null : this.ino;
  }

  /** Bytes that may be appended before the file must rotate (Infinity: never rotated). */
  get room(): number {
    return this.#settings.maxBytes > 0 ? this.#settings.maxBytes - this.size : Infinity;
  }

  /**
   * `bytes` were appended by a copy elsewhere, `afterNewline` of them after
   * its last newline (-1: none); `openLine`, when known, is those bytes.
   */
  appendedElsewhere(bytes: number, afterNewline: number, openLine: Uint8Array | null): void {
    if (bytes === 0) return;
    this.size += bytes;
    if (afterNewline >= 0) this.#lineStart = this.size - afterNewline;
    this.#drops.succeeded();
    if (this.#settings.maxBytes <= 0) return; // only rotation needs the open line
    if (afterNewline === 0) this.#openLine = new Uint8Array(0);
    else if (
      afterNewline > 0 && openLine?.length === afterNewline && afterNewline <= OPEN_LINE_LIMIT
    ) {
      this.#openLine = openLine.slice();
    } else this.#openLine = null; // rotation then starts a fresh file without moving it
  }

  /** Drops a whole block; a block ending inside a line drops that line's rest too. */
  dropBlock(block: Uint8Array): void {
    if (block.length === 0) return;
    this.#drops.drop(block.byteLength);
    this.#skipToNewline = block[block.length - 1] !== NEWLINE;
  }

  /** Keeps {@link #openLine} up to date after `bytes` were appended. */
  #rememberOpenLine(bytes: Uint8Array): void {
    if (this.#settings.maxBytes <= 0) return; // only rotation needs it
    const newline = bytes.lastIndexOf(NEWLINE);
    if (newline >= 0) {
      // Copied: the caller reuses its buffer. Usually a few bytes, or none.
      this.#openLine = bytes.slice(newline + 1);
      return;
    }
    const open = this.#openLine;
    if (open === null || open.length + bytes.length > OPEN_LINE_LIMIT) {
      this.#openLine = null;
      return;
    }
    const grown = new Uint8Array(open.length + bytes.length);
    grown.set(open);
    grown.set(bytes, open.length);
    this.#openLine = grown;
  }

  /**
   * Takes the open line back out of the full file (truncating it to its
   * last newline), rotates, and writes the line's beginning to the fresh file.
   */
  #rotateMovingOpenLine(): void {
    const line = this.#openLine;
    const file = this.file;
    if (line === null || file === null) return;
    file.truncateSync(this.size - line.length);
    this.size -= line.length;
    this.rotate();
    this.writeAll(line);
  }

  /**
   * `name` → `name.1`, `name.1` → `name.2` … (the oldest beyond `backups` is
   * overwritten), then a fresh `name`. With 0 backups the file is truncated.
   */
  rotate(): void {
    const { backups } = this.#settings;
    const file = this.file;
    if (file === null) return;
    this.#openLine = new Uint8Array(0);
    if (backups <= 0) {
      file.truncateSync(0);
      this.size = 0;
      this.#lineStart = this.size;
      return;
    }
    file.close();
    this.file = null;
    this.generation++;
    shiftBackups(this.path, backups, this.removals, (error) => this.#drops.fail("remove", error));
    this.lastOpenAttempt = Date.now();
    this.file = Deno.openSync(this.path, { append: true, create: true });
    this.ino = this.file.statSync().ino;
    this.size = 0;
    this.#lineStart = this.size;
  }
}
