/**
 * One destination file of captured output, shared by every relay that names
 * its path: append mode, size rotation (`name.1` … `name.N`), reopen after an
 * external logrotate, and truncation for `clear`.
 *
 * Two write paths:
 *
 * - **Regular files** (the normal case) are written with `writeSync`
 *   ({@link RotatingFile}, where rotation and the clean-up after a failed
 *   write live). A write to the page cache is short and never waits on
 *   another process, and the synchronous call is what makes the relay fast
 *   (see DENO-NOTES, "Output relay").
 * - **Anything else** (a FIFO, a terminal, `/dev/stdout`) is written with the
 *   async `write`: such a destination may block for as long as its reader
 *   likes, and a blocking `writeSync` would freeze the whole daemon. Writes are
 *   chained so whole blocks keep their order; rotation does not apply.
 *
 * Lines and writers: each write names its writer (the relay's stream key).
 * A block may end mid-line (a prompt, a progress bar, a read that fell
 * inside a line): the file then has an open line owned by that writer, and
 * only that writer continues it. When another writer's bytes come first, a
 * newline ends the open line so two writers' lines never mix inside a line
 * (only a file shared by several streams can see that).
 *
 * Errors never escape: they go to `report`, once per episode, and the bytes
 * are dropped (and counted, `onDrop`) so the relay keeps draining
 * (drop_account.ts).
 *
 * Idle files are closed (idle_sweep.ts) and reopened by the next write. The
 * reopen checks the file is the one it left (same inode and size); if not
 * (moved away, written by someone else) it starts over as
 * {@link LogFile.reopen} does. A file opened with `keepOpen` (the daemon's
 * own event log: one descriptor in all, not one per instance) stays open.
 *
 * @module
 */

import { DropAccount } from "./drop_account.ts";
import { type IdleCandidate, unwatchIdle, watchIdle } from "./idle_sweep.ts";
import { NEWLINE, RotatingFile, type RotationSettings } from "./rotating_file.ts";
import { openAppend, openAppendSync, type OpenedPath } from "./log_open.ts";

const LINE_BREAK = new Uint8Array([NEWLINE]);
/** After a failed open, how long writes stay discarded before the next attempt. */
const REOPEN_RETRY_MS = 1000;

/** An appending, rotating writer for one path. Create with {@link LogFile.open}. */
export class LogFile {
  /** The absolute path written to. */
  readonly path: string;
  readonly #drops: DropAccount;
  /** The handle and what is known of the file's end. */
  readonly #f: RotatingFile;
  /** True for a regular file: writeSync and rotation. */
  #sync = true;
  /** Serializes async writes (non-regular destinations) and async maintenance. */
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  /** The handle was closed for being idle: the next write reopens the path. */
  #idle = false;
  readonly #idleSweep: IdleCandidate = { touched: false, closeIdle: () => this.#closeIdle() };
  /** Never closed for being idle. */
  readonly #keepOpen: boolean;
  /** The writer whose line is open at the end of the file; null when it ends on a newline. */
  #openLineWriter: string | null = null;

  private constructor(
    path: string,
    settings: RotationSettings,
    report: (m: string) => void,
    onDrop: (bytes: number) => void,
    keepOpen: boolean,
  ) {
    this.path = path;
    this.#keepOpen = keepOpen;
    this.#drops = new DropAccount(path, report, onDrop);
    this.#f = new RotatingFile(path, settings, this.#drops, () => this.#openLineWriter = null);
  }

  /**
   * Opens (creating the file and its parent directory) `path` for appending.
   * Never rejects: an open failure is reported and the file discards until
   * a later {@link reopen} (or a retry on write, at most once a second) works.
   * `keepOpen`: not closed for being idle.
   */
  static async open(
    path: string,
    settings: RotationSettings,
    report: (message: string) => void,
    options: { onDrop?: (bytes: number) => void; keepOpen?: boolean } = {},
  ): Promise<LogFile> {
    const log = new LogFile(
      path,
      settings,
      report,
      options.onDrop ?? (() => {}),
      options.keepOpen === true,
    );
    await log.#openAsync();
    // "When a file is already over the size at open, rotate before writing."
    if (log.#f.file !== null && log.#sync && log.#f.overLimit(0)) log.#guard(() => log.#f.rotate());
    log.#watchIdle();
    return log;
  }

  /** Whether writes are synchronous (a regular file, or nothing open). */
  get isSync(): boolean {
    return this.#sync;
  }

  /** Current size of the file as far as this writer knows. */
  get size(): number {
    return this.#f.size;
  }

  /**
   * Appends `block` for `writer`; it may end mid-line (see the module doc).
   * Returns undefined when the bytes are already written (regular files),
   * else a promise that settles once they are. Never throws or rejects.
   * The caller must not reuse `block`'s memory before that.
   */
  write(block: Uint8Array, writer = ""): Promise<void> | undefined {
    if (block.length === 0) return undefined;
    const interrupts = this.#openLineWriter !== null && this.#openLineWriter !== writer;
    this.#openLineWriter = block[block.length - 1] === NEWLINE ? null : writer;
    if (this.#sync) {
      if (this.#f.file === null) {
        if (this.#idle) this.#wakeSync();
        else this.#retryOpenSync();
      }
      this.#idleSweep.touched = true;
      if (this.#f.file !== null) {
        this.#guard(() => {
          if (interrupts) this.#f.writeAll(LINE_BREAK);
          this.#f.writeRotating(block);
        });
      } else this.#f.dropBlock(block);
      return undefined;
    }
    return this.#enqueue(async () => {
      if (interrupts) await this.#writeAllAsync(LINE_BREAK);
      await this.#writeAllAsync(block);
    });
  }

  /**
   * Whether the file ends inside a line that `writer` started: its next
   * bytes continue that line (and get no second timestamp).
   */
  continuesLineOf(writer: string): boolean {
    return this.#openLineWriter === writer;
  }

  /**
   * Where `writer`'s flood may be copied straight to (native_copy.ts): the
   * file's inode, or null when every byte must come through {@link write}
   * (not a regular file, closed, failing, or another writer's line left
   * open). {@link room} says how much it may copy.
   */
  floodIno(writer: string): number | null {
    if (!this.#sync || this.#closed || (this.#f.file === null && !this.#idle)) return null;
    if (this.#openLineWriter !== null && this.#openLineWriter !== writer) return null;
    return this.#f.appendableIno();
  }

  /** Bytes that may be appended before the file rotates (Infinity: never rotated). */
  get room(): number {
    return this.#f.room;
  }

  /**
   * `bytes` of `writer`'s were appended by a copy elsewhere (after
   * {@link floodIno}), `afterNewline` of them after its last newline (-1:
   * none), which are `openLine` when known: the file's end as this writer
   * knows it moves with them.
   */
  appendedElsewhere(
    bytes: number,
    afterNewline: number,
    writer: string,
    openLine: Uint8Array | null,
  ): void {
    if (bytes === 0) return;
    this.#openLineWriter = afterNewline === 0 ? null : writer;
    this.#idleSweep.touched = true;
    this.#f.appendedElsewhere(bytes, afterNewline, openLine);
  }

  /** Reopens the path (after an external `mv`): new bytes go to a fresh file. */
  reopen(): Promise<void> {
    if (!this.#sync) return Promise.resolve(); // a FIFO or device is not moved away
    if (this.#idle) {
      // Nothing open: the next write opens the path anew, as a fresh file.
      this.#f.ino = null;
      return Promise.resolve();
    }
    return this.#enqueue(async () => {
      const generation = this.#f.generation;
      const opened = await this.#openHandle();
      if (opened === null) return;
      if (generation !== this.#f.generation || this.#closed) {
        // A rotation (or close) replaced the handle while we awaited; keep that one.
        opened.file.close();
        return;
      }
      this.#f.file?.close();
      this.#f.file = opened.file;
      this.#idle = false;
      this.#f.takeAsFound(opened);
      this.#f.generation++;
      this.#watchIdle();
    });
  }

  /** Truncates the file to zero bytes (the `clear` command). */
  clear(): Promise<void> {
    if (this.#sync) {
      if (this.#f.file === null && this.#idle) this.#wakeSync();
      if (this.#f.file !== null) {
        this.#guard(() => {
          this.#f.clear();
          this.#openLineWriter = null;
        });
      }
    }
    return Promise.resolve();
  }

  /** Waits for queued writes, then closes the file. Idempotent. */
  async close(): Promise<void> {
    await this.#chain;
    await Promise.all(this.#f.removals);
    if (this.#closed) return;
    this.#closed = true;
    this.#f.file?.close();
    this.#f.file = null;
    unwatchIdle(this.#idleSweep);
  }

  // --- internals ---------------------------------------------------------

  async #writeAllAsync(bytes: Uint8Array): Promise<void> {
    const file = this.#f.file;
    if (file === null) return this.#drops.drop(bytes.byteLength);
    let rest = bytes;
    try {
      while (rest.length > 0) {
        const n = await file.write(rest);
        this.#f.size += n;
        rest = rest.subarray(n);
      }
      this.#drops.succeeded();
    } catch (error) {
      this.#drops.drop(rest.byteLength);
      this.#drops.fail("write", error);
    }
  }

  /** Opening for the first time: async, since the path may be a FIFO without a reader yet. */
  async #openAsync(): Promise<void> {
    const opened = await this.#openHandle();
    if (opened === null) return;
    this.#f.file = opened.file;
    this.#f.takeAsFound(opened);
    this.#sync = opened.regular;
    this.#f.generation++;
  }

  async #openHandle(): Promise<OpenedPath | null> {
    this.#f.lastOpenAttempt = Date.now();
    try {
      return await openAppend(this.path);
    } catch (error) {
      this.#drops.fail("open", error);
      return null;
    }
  }

  /** After a failed open or rotation, try again on a later write (regular files only). */
  #retryOpenSync(): void {
    if (this.#closed || Date.now() - this.#f.lastOpenAttempt < REOPEN_RETRY_MS) return;
    this.#f.lastOpenAttempt = Date.now();
    this.#guard(() => {
      const file = openAppendSync(this.path);
      this.#f.file = file;
      this.#f.takeAsFound(file.statSync());
      this.#f.generation++;
    });
    this.#watchIdle();
  }

  /**
   * Reopens the path after an idle close. The same file, unchanged, goes on
   * where it was (its open line included); anything else is taken as found.
   */
  #wakeSync(): void {
    this.#idle = false;
    this.#guard(() => {
      const file = openAppendSync(this.path);
      this.#f.lastOpenAttempt = Date.now();
      this.#f.file = file;
      const info = file.statSync();
      if (info.ino === null || info.ino !== this.#f.ino || info.size !== this.#f.size) {
        this.#f.takeAsFound(info);
      }
      this.#f.generation++;
    });
    this.#watchIdle();
  }

  /** Puts an open regular file under the idle sweep. */
  #watchIdle(): void {
    if (this.#f.file === null || !this.#sync || this.#closed || this.#keepOpen) return;
    watchIdle(this.#idleSweep);
  }

  /** Called by the sweep: nobody wrote since it last looked. */
  #closeIdle(): void {
    const file = this.#f.file;
    if (file === null || !this.#sync || this.#closed) return;
    file.close();
    this.#f.file = null;
    this.#idle = true;
    this.#f.generation++;
  }

  #guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.#drops.fail("write", error);
    }
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(task, task);
    this.#chain = next.catch(() => {});
    return this.#chain;
  }
}
