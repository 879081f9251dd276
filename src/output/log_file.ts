/**
 * One destination file of captured output, shared by every relay that names
 * its path: append mode, size rotation (`name.1` … `name.N`), reopen after an
 * external logrotate, and truncation for `clear`.
 *
 * Two write paths:
 *
 * - **Regular files** (the normal case) are written with `writeSync`. A write
 *   to the page cache is short and never waits on another process, and the
 *   synchronous call is what makes the relay fast (see DENO-NOTES, "Output
 *   relay"). Rotation is synchronous too, so it happens between two writes
 *   and no other relay can slip a line in between.
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
 * Rotation cuts on a newline: when the rest of an open line does not fit,
 * the line's beginning (at most 64 KiB, remembered) moves to the fresh file
 * with it, so no line is split across files unless one line alone is longer
 * than the limit. Errors never escape: they go to `report`, once per
 * episode, and the bytes are dropped so the relay keeps draining.
 *
 * A write cut short (ENOSPC after part of a block) is truncated back to its
 * last newline, so new text is never glued onto a line cut by the full disk.
 * Dropped bytes are counted (`onDrop`); while dropping, a line is reported
 * once a minute, and one when writing resumes.
 *
 * Idle files are closed: a regular file nobody wrote to for a second or two
 * gives its descriptor back and is reopened (append) by the next write. Most
 * programs are quiet most of the time, and two held log files per instance
 * would double what a thousand instances cost in descriptors (issue 11: at
 * most 3 per instance). The reopen checks the file is the one it left (same
 * inode and size); if not (moved away, written by someone else) it starts
 * over as {@link LogFile.reopen} does.
 *
 * @module
 */

/** Rotation settings of a {@link LogFile}; the first relay to open a path sets them. */
export interface RotationSettings {
  /** Rotate when the file would grow past this many bytes; 0 never rotates. */
  readonly maxBytes: number;
  /** How many rotated files are kept; 0 truncates the file in place instead. */
  readonly backups: number;
}

const NEWLINE = 10;
const LINE_BREAK = new Uint8Array([NEWLINE]);
/** Longest open line remembered so rotation can move it whole to the fresh file. */
export const OPEN_LINE_LIMIT = 64 * 1024;
/** After a failed open, how long writes stay discarded before the next attempt. */
const REOPEN_RETRY_MS = 1000;
/** While writes keep failing, how often a line says how much was dropped. */
const DROP_REPORT_MS = 60_000;
/** How often idle files are looked at: one unwritten since the last look is closed. */
export const IDLE_CLOSE_MS = 1000;

/** An appending, rotating writer for one path. Create with {@link LogFile.open}. */
export class LogFile {
  /** The absolute path written to. */
  readonly path: string;
  readonly #settings: RotationSettings;
  readonly #report: (message: string) => void;
  readonly #onDrop: (bytes: number) => void;
  /** Bytes dropped since the current failure episode began. */
  #droppedInEpisode = 0;
  #lastDropReport = 0;
  #file: Deno.FsFile | null = null;
  #size = 0;
  /** Where the file's last line starts: at #size unless it ends inside a line. */
  #lineStart = 0;
  /** Dropped bytes ended inside a line: its rest is dropped too, up to the next newline. */
  #skipToNewline = false;
  /** True for a regular file: writeSync and rotation. */
  #sync = true;
  /** Bumped whenever #file is replaced, so a slow reopen can tell it lost a race. */
  #generation = 0;
  /** Serializes async writes (non-regular destinations) and async maintenance. */
  #chain: Promise<void> = Promise.resolve();
  /** A write or open error was reported and nothing succeeded since. */
  #failing = false;
  #lastOpenAttempt = 0;
  #closed = false;
  /** The handle was closed for being idle: the next write reopens the path. */
  #idle = false;
  /** Written since the idle sweep last looked. */
  #touched = false;
  /** The inode of the file the handle had, to tell it is the same file at reopen. */
  #ino: number | null = null;
  /** The writer whose line is open at the end of the file; null when it ends on a newline. */
  #openLineWriter: string | null = null;
  /**
   * The bytes after the file's last newline (empty when it ends on one), or
   * null when unknown: a line longer than OPEN_LINE_LIMIT, or a file we
   * found non-empty at open.
   */
  #openLine: Uint8Array | null = new Uint8Array(0);
  /** Background deletions of dropped backups, awaited by close(). */
  readonly #removals = new Set<Promise<void>>();

  private constructor(
    path: string,
    settings: RotationSettings,
    report: (m: string) => void,
    onDrop: (bytes: number) => void,
  ) {
    this.path = path;
    this.#settings = settings;
    this.#report = report;
    this.#onDrop = onDrop;
  }

  /**
   * Opens (creating the file and its parent directory) `path` for appending.
   * Never rejects: an open failure is reported and the file discards until
   * a later {@link reopen} (or a retry on write, at most once a second) works.
   */
  static async open(
    path: string,
    settings: RotationSettings,
    report: (message: string) => void,
    onDrop: (bytes: number) => void = () => {},
  ): Promise<LogFile> {
    const log = new LogFile(path, settings, report, onDrop);
    await log.#openAsync();
    // "When a file is already over the size at open, rotate before writing."
    if (log.#file !== null && log.#sync && log.#overLimit(0)) log.#guard(() => log.#rotate());
    log.#watchIdle();
    return log;
  }

  /** Whether writes are synchronous (a regular file, or nothing open). */
  get isSync(): boolean {
    return this.#sync;
  }

  /** Current size of the file as far as this writer knows. */
  get size(): number {
    return this.#size;
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
      if (this.#file === null) {
        if (this.#idle) this.#wakeSync();
        else this.#retryOpenSync();
      }
      this.#touched = true;
      if (this.#file !== null) {
        this.#guard(() => {
          if (interrupts) this.#writeAllSync(LINE_BREAK);
          this.#writeRotating(block);
        });
      } else this.#dropBlock(block);
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

  /** Reopens the path (after an external `mv`): new bytes go to a fresh file. */
  reopen(): Promise<void> {
    if (!this.#sync) return Promise.resolve(); // a FIFO or device is not moved away
    if (this.#idle) {
      // Nothing open: the next write opens the path anew, as a fresh file.
      this.#ino = null;
      return Promise.resolve();
    }
    return this.#enqueue(async () => {
      const generation = this.#generation;
      const opened = await this.#openHandle();
      if (opened === null) return;
      if (generation !== this.#generation || this.#closed) {
        // A rotation (or close) replaced the handle while we awaited; keep that one.
        opened.file.close();
        return;
      }
      this.#file?.close();
      this.#file = opened.file;
      this.#idle = false;
      this.#takeAsFound(opened);
      this.#generation++;
      this.#watchIdle();
    });
  }

  /** Truncates the file to zero bytes (the `clear` command). */
  clear(): Promise<void> {
    if (this.#sync) {
      if (this.#file === null && this.#idle) this.#wakeSync();
      if (this.#file !== null) {
        this.#guard(() => {
          this.#file?.truncateSync(0);
          this.#size = 0;
          this.#lineStart = this.#size;
          this.#openLine = new Uint8Array(0);
          this.#openLineWriter = null;
        });
      }
      return Promise.resolve();
    }
    return Promise.resolve();
  }

  /** Waits for queued writes, then closes the file. Idempotent. */
  async close(): Promise<void> {
    await this.#chain;
    await Promise.all(this.#removals);
    if (this.#closed) return;
    this.#closed = true;
    this.#file?.close();
    this.#file = null;
    LogFile.#unwatchIdle(this);
  }

  // --- internals ---------------------------------------------------------

  #overLimit(extra: number): boolean {
    return this.#settings.maxBytes > 0 && this.#size + extra > this.#settings.maxBytes;
  }

  /** Writes `block`, rotating on newline boundaries so no file passes maxBytes. */
  #writeRotating(block: Uint8Array): void {
    let rest = block;
    const max = this.#settings.maxBytes;
    while (rest.length > 0) {
      if (!this.#overLimit(rest.length)) {
        this.#writeAllSync(rest);
        return;
      }
      const room = max - this.#size;
      // Longest prefix of whole lines that still fits in this file.
      let cut = room > 0 ? rest.lastIndexOf(NEWLINE, room - 1) + 1 : 0;
      if (cut === 0) {
        const open = this.#openLine?.length ?? -1;
        if (open > 0 && open < this.#size) {
          // The open line's rest does not fit: the whole line goes to a fresh file.
          this.#rotateMovingOpenLine();
          continue;
        }
        if (open !== this.#size && this.#size > 0) {
          // The next line fits in a file of its own: start one.
          this.#rotate();
          continue;
        }
        // One line alone is longer than maxBytes: the only case that splits a line.
        cut = room;
      }
      this.#writeAllSync(rest.subarray(0, cut));
      rest = rest.subarray(cut);
      if (rest.length > 0) this.#rotate();
    }
  }

  #writeAllSync(block: Uint8Array): void {
    const file = this.#file;
    if (file === null) return this.#dropBlock(block);
    let bytes = block;
    if (this.#skipToNewline) {
      // The start of this line was dropped: its end alone would be a fragment.
      const newline = bytes.indexOf(NEWLINE);
      if (newline < 0) return this.#drop(bytes.byteLength);
      this.#drop(newline + 1);
      this.#skipToNewline = false;
      bytes = bytes.subarray(newline + 1);
      if (bytes.length === 0) return;
    }
    const start = this.#size;
    let rest = bytes;
    try {
      while (rest.length > 0) {
        const n = file.writeSync(rest);
        this.#size += n;
        rest = rest.subarray(n);
      }
    } catch (error) {
      // Whole lines or none: cut the file back to its last newline, taking out
      // the start of a line an earlier block left open, so later text is never
      // glued onto a line the full disk cut.
      const written = bytes.length - rest.length;
      const newline = written === 0 ? -1 : bytes.lastIndexOf(NEWLINE, written - 1);
      const keepAt = newline >= 0 ? start + newline + 1 : this.#lineStart;
      if (keepAt < this.#size) {
        try {
          file.truncateSync(keepAt);
          this.#drop(this.#size - keepAt);
          this.#size = keepAt;
          this.#lineStart = keepAt;
          this.#openLineWriter = null;
          this.#openLine = new Uint8Array(0);
        } catch {
          // Cannot even truncate: the partial line stays.
        }
      }
      this.#drop(rest.byteLength);
      this.#skipToNewline = bytes[bytes.length - 1] !== NEWLINE;
      throw error;
    }
    const newline = bytes.lastIndexOf(NEWLINE);
    if (newline >= 0) this.#lineStart = start + newline + 1;
    this.#succeeded();
    this.#rememberOpenLine(bytes);
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
    const file = this.#file;
    if (line === null || file === null) return;
    file.truncateSync(this.#size - line.length);
    this.#size -= line.length;
    this.#rotate();
    this.#writeAllSync(line);
  }

  async #writeAllAsync(bytes: Uint8Array): Promise<void> {
    const file = this.#file;
    if (file === null) return this.#drop(bytes.byteLength);
    let rest = bytes;
    try {
      while (rest.length > 0) {
        const n = await file.write(rest);
        this.#size += n;
        rest = rest.subarray(n);
      }
      this.#succeeded();
    } catch (error) {
      this.#drop(rest.byteLength);
      this.#fail("write", error);
    }
  }

  /**
   * `name` → `name.1`, `name.1` → `name.2` … (the oldest beyond `backups` is
   * overwritten), then a fresh `name`. With 0 backups the file is truncated.
   */
  #rotate(): void {
    const { backups } = this.#settings;
    const file = this.#file;
    if (file === null) return;
    this.#openLine = new Uint8Array(0);
    if (backups <= 0) {
      file.truncateSync(0);
      this.#size = 0;
      this.#lineStart = this.#size;
      return;
    }
    file.close();
    this.#file = null;
    this.#generation++;
    this.#dropOldest(`${this.path}.${backups}`);
    for (let i = backups - 1; i >= 1; i--) {
      renameIfExists(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    }
    renameIfExists(this.path, `${this.path}.1`);
    this.#lastOpenAttempt = Date.now();
    this.#file = Deno.openSync(this.path, { append: true, create: true });
    this.#ino = this.#file.statSync().ino;
    this.#size = 0;
    this.#lineStart = this.#size;
  }

  /**
   * Moves the oldest backup out of the way and deletes it in the background.
   * Renaming onto it would free its pages synchronously, on the relay's time:
   * measured, that alone cost a quarter of the throughput at 10 MB rotations.
   */
  #dropOldest(oldest: string): void {
    const doomed = `${oldest}.deleting-${Deno.pid}-${++dropCounter}`;
    try {
      Deno.renameSync(oldest, doomed);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    const removal: Promise<void> = Deno.remove(doomed).catch((error) => this.#fail("remove", error))
      .finally(() => this.#removals.delete(removal));
    this.#removals.add(removal);
  }

  /** Opening for the first time: async, since the path may be a FIFO without a reader yet. */
  async #openAsync(): Promise<void> {
    const opened = await this.#openHandle();
    if (opened === null) return;
    this.#file = opened.file;
    this.#takeAsFound(opened);
    this.#sync = opened.regular;
    this.#generation++;
  }

  async #openHandle(): Promise<
    { file: Deno.FsFile; size: number; regular: boolean; ino: number | null } | null
  > {
    this.#lastOpenAttempt = Date.now();
    let file: Deno.FsFile | null = null;
    try {
      await Deno.mkdir(dirname(this.path), { recursive: true });
      file = await Deno.open(this.path, { append: true, create: true });
      const info = await file.stat();
      return { file, size: info.size, regular: info.isFile, ino: info.ino };
    } catch (error) {
      file?.close();
      this.#fail("open", error);
      return null;
    }
  }

  /** After a failed open or rotation, try again on a later write (regular files only). */
  #retryOpenSync(): void {
    if (this.#closed || Date.now() - this.#lastOpenAttempt < REOPEN_RETRY_MS) return;
    this.#lastOpenAttempt = Date.now();
    this.#guard(() => {
      // The path was a regular file (or never opened): openSync cannot block on a FIFO
      // unless someone swapped one in, which we accept.
      Deno.mkdirSync(dirname(this.path), { recursive: true });
      const file = Deno.openSync(this.path, { append: true, create: true });
      this.#file = file;
      this.#takeAsFound(file.statSync());
      this.#generation++;
    });
    this.#watchIdle();
  }

  /**
   * Takes a file as found: writing goes on at its end, and whether its last
   * line is whole is unknown unless the file is empty.
   */
  #takeAsFound(info: { readonly ino: number | null; readonly size: number }): void {
    this.#ino = info.ino;
    this.#size = info.size;
    this.#lineStart = this.#size;
    this.#openLine = this.#size === 0 ? new Uint8Array(0) : null;
  }

  /**
   * Reopens the path after an idle close. The same file, unchanged, goes on
   * where it was (its open line included); anything else is taken as found.
   */
  #wakeSync(): void {
    this.#idle = false;
    this.#guard(() => {
      let file: Deno.FsFile;
      try {
        file = Deno.openSync(this.path, { append: true, create: true });
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
        Deno.mkdirSync(dirname(this.path), { recursive: true });
        file = Deno.openSync(this.path, { append: true, create: true });
      }
      this.#lastOpenAttempt = Date.now();
      this.#file = file;
      const info = file.statSync();
      if (info.ino === null || info.ino !== this.#ino || info.size !== this.#size) {
        this.#takeAsFound(info);
      }
      this.#generation++;
    });
    this.#watchIdle();
  }

  // --- idle closing: one sweep for every open file --------------------------

  static readonly #watched = new Set<LogFile>();
  static #sweeper: ReturnType<typeof setInterval> | null = null;

  /** Puts an open regular file under the idle sweep. */
  #watchIdle(): void {
    if (this.#file === null || !this.#sync || this.#closed) return;
    const watched = LogFile.#watched;
    if (watched.has(this)) return;
    watched.add(this);
    if (LogFile.#sweeper === null) {
      // Runs only while some file is open: an idle daemon keeps no timer.
      const sweeper = setInterval(LogFile.#sweep, IDLE_CLOSE_MS);
      Deno.unrefTimer(sweeper);
      LogFile.#sweeper = sweeper;
    }
  }

  static #unwatchIdle(log: LogFile): void {
    LogFile.#watched.delete(log);
    if (LogFile.#watched.size === 0 && LogFile.#sweeper !== null) {
      clearInterval(LogFile.#sweeper);
      LogFile.#sweeper = null;
    }
  }

  static #sweep = (): void => {
    for (const log of LogFile.#watched) {
      if (log.#touched) {
        log.#touched = false;
        continue;
      }
      if (log.#file !== null && log.#sync && !log.#closed) {
        log.#file.close();
        log.#file = null;
        log.#idle = true;
        log.#generation++;
      }
      LogFile.#unwatchIdle(log);
    }
  };

  #guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.#fail("write", error);
    }
  }

  #fail(action: string, error: unknown): void {
    const now = Date.now();
    if (this.#failing) {
      if (now - this.#lastDropReport >= DROP_REPORT_MS && this.#droppedInEpisode > 0) {
        this.#lastDropReport = now;
        this.#report(
          `Still cannot write "${this.path}": ${this.#droppedInEpisode} bytes dropped so far`,
        );
      }
      return;
    }
    this.#failing = true;
    this.#lastDropReport = now;
    const reason = error instanceof Error ? error.message : String(error);
    this.#report(`Cannot ${action} "${this.path}": ${reason}`);
  }

  /** Drops a whole block; a block ending inside a line drops that line's rest too. */
  #dropBlock(block: Uint8Array): void {
    if (block.length === 0) return;
    this.#drop(block.byteLength);
    this.#skipToNewline = block[block.length - 1] !== NEWLINE;
  }

  /** Counts bytes that will never reach the file. */
  #drop(bytes: number): void {
    if (bytes <= 0) return;
    this.#droppedInEpisode += bytes;
    this.#onDrop(bytes);
  }

  /** A write went through: ends a failure episode, saying what it cost. */
  #succeeded(): void {
    if (this.#failing && this.#droppedInEpisode > 0) {
      this.#report(
        `Writing to "${this.path}" resumed; ${this.#droppedInEpisode} bytes were dropped`,
      );
    }
    this.#failing = false;
    this.#droppedInEpisode = 0;
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(task, task);
    this.#chain = next.catch(() => {});
    return this.#chain;
  }
}

let dropCounter = 0;

function renameIfExists(from: string, to: string): void {
  try {
    Deno.renameSync(from, to);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** The directory part of an absolute path (`/a/b/c.log` → `/a/b`). */
export function dirname(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}
