/**
 * The output pipeline: copies each child's stdout/stderr pipe to its file,
 * byte for byte, with bounded memory, and never sits on a program's bytes.
 *
 * How a relay works: it reads the pipe with a BYOB reader into one reused
 * buffer (at most 128 KiB per stream)
 * and hands what it read to the destination {@link LogFile}. The next read
 * only starts once the previous block is written, so a slow or stuck
 * destination fills the child's pipe and stalls the child instead of growing
 * the daemon's memory (back-pressure).
 *
 * Partial lines (no newline yet: a prompt, a `\r` progress bar, a read that
 * ended inside a line):
 * - A file of its own gets every byte at once, partial lines included; the
 *   rest of a line continues it (no newline added, no second timestamp).
 * - A file shared with other streams (two programs, or the instances of one,
 *   naming one path) is where the whole-line rule matters: a partial line is
 *   kept back until its newline comes, for at most `flushPartialAfterMs` of
 *   quiet (the program's `flush_partial_after`), or until it reaches 64 KiB.
 *   Lines written in pieces therefore never interleave with another stream's
 *   lines; a line whose writer pauses longer than that is written as far as
 *   it got, and if another stream's line comes before its rest, the file
 *   ends the open line with a newline first (see {@link LogFile}), so lines
 *   still never mix.
 * Subscribers ({@link OutputHub.subscribe}: `tail -f`, `attach`) get every
 * byte as soon as it is read.
 *
 * Sharing a file: every relay whose target names the same path in one hub
 * shares one {@link LogFile} (one descriptor, one size count, one rotation).
 * The first relay to open a path decides its rotation settings. Paths are
 * compared as strings: two spellings of one file (a symlink) get two writers,
 * which still append whole blocks (O_APPEND). A program whose stdout and
 * stderr name one file has one pipe for both (the spawner's combined output),
 * so its bytes arrive in the order it wrote them.
 *
 * @module
 */

import { LogFile } from "./log_file.ts";
import { type ByteSource, openByteSource } from "./byte_source.ts";
import { holdFloodCopies, interruptFloodCopies } from "./native_copy.ts";
import {
  type CopyEnd,
  type CopyEndListener,
  type CopyHooks,
  type OutputTarget,
  type Route,
  startCopy,
} from "./relay.ts";
import { type FollowOptions, FollowRing, followRing } from "./follow_ring.ts";

/** The newest output a follower can fall behind by before it loses the oldest. */
const FOLLOW_WINDOW_BYTES = 1024 * 1024;

/** Options of {@link OutputHub}. */
export interface OutputHubOptions {
  /** Receives every error (open, write, read, listener); never throws. @default ignore */
  readonly onError?: (message: string) => void;
  /** How long {@link OutputHub.close} waits for streams to reach EOF before cancelling them. @default 2000 */
  readonly closeGraceMs?: number;
}

interface OpenFile {
  refs: number;
  readonly file: Promise<LogFile>;
}

/** Relays child output streams to files; see the module doc. */
export class OutputHub {
  readonly #report: (message: string) => void;
  readonly #closeGraceMs: number;
  readonly #files = new Map<string, OpenFile>();
  /** Bytes that could not be written, by path, for as long as the daemon runs. */
  readonly #dropped = new Map<string, number>();
  readonly #listeners = new Map<string, Set<(chunk: Uint8Array) => void>>();
  /** The followed streams' newest bytes, with how many follow each. */
  readonly #rings = new Map<string, { ring: FollowRing; followers: number }>();
  /** Running relays (each with its source, so close() can cancel a stream that never ends). */
  readonly #active = new Set<Relay>();
  /** Where each running relay publishes and writes; {@link retarget} moves it. */
  readonly #routes = new Map<string, Route>();
  #closed = false;

  constructor(options: OutputHubOptions = {}) {
    const onError = options.onError;
    this.#report = (message) => {
      try {
        onError?.(message);
      } catch {
        // A failing error sink must not take the relay down with it.
      }
    };
    this.#closeGraceMs = options.closeGraceMs ?? 2000;
    this.#port = {
      report: this.#report,
      hooks: this.#hooks,
      routes: this.#routes,
      active: this.#active,
      acquire: (path, target) => this.#acquire(path, target),
      release: (path) => this.#release(path),
    };
  }

  /** What every relay of this hub reaches it through (one object for all). */
  readonly #port: HubPort;

  /**
   * Copies `stream` (a Deno stream, or a pipe read directly) to `target` until EOF. Resolves once every byte read has
   * been written (or discarded); never rejects. `key` (like `web:0:stdout`)
   * names the stream for {@link subscribe}.
   */
  relay(
    key: string,
    stream: ReadableStream<Uint8Array> | ByteSource,
    target: OutputTarget,
  ): PromiseLike<void> {
    const source = stream instanceof ReadableStream ? openByteSource(stream) : stream;
    if (this.#closed) {
      source.cancel().finally(() => source.release());
      return Promise.resolve();
    }
    const relay = new Relay(this.#port, key, source);
    this.#active.add(relay);
    relay.start(target);
    return relay;
  }

  /**
   * Calls `listener` with a copy of every chunk relayed under `key` from now
   * on, discarded streams included. Returns the unsubscribe function.
   */
  subscribe(key: string, listener: (chunk: Uint8Array) => void): () => void {
    interruptFloodCopies();
    let set = this.#listeners.get(key);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(key, set);
    }
    // A wrapper per call, so subscribing the same function twice needs two unsubscribes.
    const entry = (chunk: Uint8Array) => listener(chunk);
    set.add(entry);
    return () => {
      const current = this.#listeners.get(key);
      if (current === undefined) return;
      current.delete(entry);
      if (current.size === 0) this.#listeners.delete(key);
    };
  }

  /**
   * Every byte relayed under `key` from now on, until `signal` aborts, for a
   * follower that may read slowly: it loses the oldest bytes beyond
   * {@link FOLLOW_WINDOW_BYTES} and is told how many (see follow_ring.ts).
   */
  follow(key: string, signal: AbortSignal, options: FollowOptions): AsyncIterable<Uint8Array> {
    interruptFloodCopies();
    let entry = this.#rings.get(key);
    if (entry === undefined) {
      entry = { ring: new FollowRing(FOLLOW_WINDOW_BYTES), followers: 0 };
      this.#rings.set(key, entry);
    }
    entry.followers++;
    const followed = entry;
    return followRing(followed.ring, signal, options, () => {
      if (--followed.followers === 0 && this.#rings.get(key) === followed) {
        this.#rings.delete(key);
      }
    });
  }

  /**
   * Moves the running relay `key` to `newKey` (its followers' name) and to
   * `target`'s file: an instance renamed by a numprocs change (`web` →
   * `web:0`) writes its default log under its new name from now on. A held
   * partial line goes to the new file. Nothing happens if `key` is not relaying.
   */
  async retarget(key: string, newKey: string, target: OutputTarget): Promise<void> {
    const route = this.#routes.get(key);
    if (route === undefined) return;
    this.#routes.delete(key);
    route.key = newKey;
    this.#routes.set(newKey, route);
    if (target.path === route.path) return;
    // Nothing copied natively to the old file once the relay writes to the new one.
    const release = await holdFloodCopies();
    try {
      await this.#moveTo(route, newKey, target);
    } finally {
      release();
    }
  }

  async #moveTo(route: Route, newKey: string, target: OutputTarget): Promise<void> {
    const next = target.path === null ? null : await this.#acquire(target.path, target);
    if (this.#routes.get(newKey) !== route) {
      // The relay ended while the new file opened, and let its old file go
      // itself: the new one is given back, and the old one is not released twice.
      if (target.path !== null) await this.#release(target.path);
      return;
    }
    const previous = route.path;
    route.file = next;
    route.path = target.path;
    if (previous !== null) await this.#release(previous);
  }

  /** Reopens every open file (SIGUSR2 after an external logrotate moved them). */
  async reopen(): Promise<void> {
    // Bytes a native copy wrote to the moved file are counted before the new one is taken.
    const release = await holdFloodCopies();
    try {
      const files = await Promise.all([...this.#files.values()].map((entry) => entry.file));
      await Promise.all(files.map((file) => file.reopen()));
    } finally {
      release();
    }
  }

  /** Bytes of output that could not be written to `path` (a full disk…) so far. */
  droppedBytes(path: string | null): number {
    return path === null ? 0 : this.#dropped.get(path) ?? 0;
  }

  /**
   * Truncates the file at `path` to zero bytes (the `clear` command); rotated
   * backups stay. A missing file is already clear. Rejects if truncation fails.
   */
  async clear(path: string): Promise<void> {
    const entry = this.#files.get(path);
    if (entry !== undefined) {
      // Truncated with nothing copied natively into it meanwhile (its end would be miscounted).
      const release = await holdFloodCopies();
      try {
        await (await entry.file).clear();
      } finally {
        release();
      }
      return;
    }
    try {
      await Deno.truncate(path, 0);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw new Error(`Cannot clear "${path}": ${messageOf(error)}`, { cause: error });
    }
  }

  /**
   * Shutdown: lets running relays reach EOF (children are stopped first, so
   * they normally do) for up to `closeGraceMs`, cancels the rest (a grandchild
   * may hold a pipe open forever), writes every held partial line and closes
   * every file. Later relays are cancelled at once.
   */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#active.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#closeGraceMs);
      });
      await Promise.race([Promise.all(this.#active), grace]);
      clearTimeout(timer);
      for (const relay of this.#active) await relay.source.cancel();
      await Promise.all(this.#active);
    }
    const files = await Promise.all([...this.#files.values()].map((entry) => entry.file));
    this.#files.clear();
    await Promise.all(files.map((file) => file.close()));
  }

  // --- internals ---------------------------------------------------------

  /** One for every relay: publish and sharesFile take the stream's key and path. */
  readonly #hooks: CopyHooks = {
    publish: (key, chunk) => {
      this.#rings.get(key)?.ring.append(chunk);
      const listeners = this.#listeners.get(key);
      if (listeners !== undefined) this.#publish(listeners, chunk);
    },
    sharesFile: (path) => (this.#files.get(path)?.refs ?? 0) > 1,
    isFollowed: (key) => this.#rings.has(key) || this.#listeners.has(key),
  };

  async #acquire(path: string, settings: OutputTarget): Promise<LogFile> {
    let entry = this.#files.get(path);
    if (entry === undefined) {
      const onDrop = (bytes: number) =>
        this.#dropped.set(path, (this.#dropped.get(path) ?? 0) + bytes);
      entry = { refs: 0, file: LogFile.open(path, settings, this.#report, { onDrop }) };
      this.#files.set(path, entry);
    }
    // Shared from here on: no new copy starts into it, and one under way is
    // back (its file's end known) before the newcomer writes a line.
    if (++entry.refs > 1) await interruptFloodCopies();
    return await entry.file;
  }

  async #release(path: string): Promise<void> {
    const entry = this.#files.get(path);
    if (entry === undefined || --entry.refs > 0) return;
    this.#files.delete(path);
    await (await entry.file).close();
  }

  #publish(listeners: Set<(chunk: Uint8Array) => void>, chunk: Uint8Array): void {
    const copy = chunk.slice(); // the read buffer is reused
    for (const listener of listeners) {
      try {
        listener(copy);
      } catch (error) {
        this.#report(`Output listener failed: ${messageOf(error)}`);
      }
    }
  }
}

/** The parts of a hub its relays use. */
interface HubPort {
  readonly report: (message: string) => void;
  readonly hooks: CopyHooks;
  /** Where each running relay publishes and writes, by key. */
  readonly routes: Map<string, Route>;
  readonly active: Set<Relay>;
  acquire(path: string, target: OutputTarget): Promise<LogFile>;
  release(path: string): Promise<void>;
}

/**
 * One relayed stream from its start to its end: it opens (shares) the
 * file, runs the copy loop and lets the file go. One object per stream,
 * where a promise, its resolver and three closures with their scopes were
 * (~1 KB per instance, issue 17); no suspended async function or promise
 * chain while it runs. It is its own route (the key and file it writes
 * under, which retarget() changes). Awaitable: settled once every byte
 * read was written (or discarded); never rejects.
 */
class Relay implements PromiseLike<void>, CopyEndListener, Route {
  readonly #hub: HubPort;
  key: string;
  path: string | null = null;
  file: LogFile | null = null;
  readonly source: ByteSource;
  #ended = false;
  #sourceReleased = false;
  /** Made only for a caller that waits (the relays of programs are not waited for). */
  #done: PromiseWithResolvers<void> | null = null;

  constructor(hub: HubPort, key: string, source: ByteSource) {
    this.#hub = hub;
    this.key = key;
    this.source = source;
  }

  start(target: OutputTarget): void {
    const path = target.path;
    if (path === null) {
      this.#copy(target);
      return;
    }
    // #copy never throws (startCopy reports every failure through copyEnded).
    this.#hub.acquire(path, target).then(
      (file) => {
        this.path = path;
        this.file = file;
        this.#copy(target);
      },
      (error) => this.#finish({ error }),
    );
  }

  then<A = void, B = never>(
    onFulfilled?: ((value: void) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    if (this.#ended) return Promise.resolve().then(onFulfilled, onRejected);
    this.#done ??= Promise.withResolvers<void>();
    return this.#done.promise.then(onFulfilled, onRejected);
  }

  copyEnded(copied: CopyEnd): void {
    const routes = this.#hub.routes;
    if (routes.get(this.key) === this) routes.delete(this.key);
    // The file it ends on: retarget() may have moved it since it started.
    if (this.path === null) {
      this.#finish(copied);
      return;
    }
    // Every byte read was written: an exit's drain (spawner.ts) is told now,
    // not after the file's release, which may wait for its close; a restart
    // then spawns in the microtasks of the exit, with no timer armed.
    this.#releaseSource();
    this.#hub.release(this.path).then(
      () => this.#finish(copied),
      (error) => this.#finish({ error }),
    );
  }

  #copy(target: OutputTarget): void {
    this.#hub.routes.set(this.key, this);
    startCopy(this.source, target, this, this.#hub.hooks, this);
  }

  /** Settled whatever happens here: shutdown and callers await it. */
  #finish(end: CopyEnd): void {
    const hub = this.#hub;
    try {
      if (end !== null) {
        hub.report(`Cannot relay output of "${this.key}": ${messageOf(end.error)}`);
      }
      hub.active.delete(this);
      this.#releaseSource();
    } finally {
      this.#ended = true;
      this.#done?.resolve();
    }
  }

  /** Once, when the copy ended; never throws (a failure is reported). */
  #releaseSource(): void {
    if (this.#sourceReleased) return;
    this.#sourceReleased = true;
    try {
      this.source.release();
    } catch (error) {
      this.#hub.report(`Cannot release the output of "${this.key}": ${messageOf(error)}`);
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
