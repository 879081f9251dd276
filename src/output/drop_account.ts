/**
 * What a log file could not take: bytes dropped while a write or an open
 * fails (a full disk, a removed directory) are counted (`onDrop`), and the
 * failure is reported once per episode, then once a minute while it lasts
 * with how much was dropped so far, and once more when writing resumes.
 * The report never throws and never blocks the relay.
 *
 * @module
 */

/** While writes keep failing, how often a line says how much was dropped. */
const DROP_REPORT_MS = 60_000;

/** One log file's failure episodes and dropped bytes. */
export class DropAccount {
  readonly #path: string;
  readonly #report: (message: string) => void;
  readonly #onDrop: (bytes: number) => void;
  /** A write or open error was reported and nothing succeeded since. */
  #failing = false;
  /** Bytes dropped since the current failure episode began. */
  #droppedInEpisode = 0;
  #lastDropReport = 0;

  constructor(path: string, report: (message: string) => void, onDrop: (bytes: number) => void) {
    this.#path = path;
    this.#report = report;
    this.#onDrop = onDrop;
  }

  /** `action` (open, write, remove) failed: reported at the start of an episode, then once a minute. */
  fail(action: string, error: unknown): void {
    const now = Date.now();
    if (this.#failing) {
      if (now - this.#lastDropReport >= DROP_REPORT_MS && this.#droppedInEpisode > 0) {
        this.#lastDropReport = now;
        this.#report(
          `Still cannot write "${this.#path}": ${this.#droppedInEpisode} bytes dropped so far`,
        );
      }
      return;
    }
    this.#failing = true;
    this.#lastDropReport = now;
    const reason = error instanceof Error ? error.message : String(error);
    this.#report(`Cannot ${action} "${this.#path}": ${reason}`);
  }

  /** Counts bytes that will never reach the file. */
  drop(bytes: number): void {
    if (bytes <= 0) return;
    this.#droppedInEpisode += bytes;
    this.#onDrop(bytes);
  }

  /** A write went through: ends a failure episode, saying what it cost. */
  succeeded(): void {
    if (this.#failing && this.#droppedInEpisode > 0) {
      this.#report(
        `Writing to "${this.#path}" resumed; ${this.#droppedInEpisode} bytes were dropped`,
      );
    }
    this.#failing = false;
    this.#droppedInEpisode = 0;
  }
}
