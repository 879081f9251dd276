/**
 * The one place that starts child processes. It holds no policy: the
 * runner decides when to spawn; this turns a {@link SpawnSpec} into a live
 * child or a one-line reason why not (supervisord's `spawnerr` wording).
 * What Deno cannot set itself goes through the sh shim (shim.ts).
 *
 * @module
 */

import type { DiscardedStreams } from "../config/discarded_streams.ts";
import { type ByteSource, byteSourceStream } from "../output/byte_source.ts";
import { type FdPoller, outputPoller } from "./fd_poller.ts";
import { outputPipeIdentities } from "./pipes.ts";
import { closeFd, duplicateOutputPipes, lowestFreeFd, type PipeIdentity } from "./pipe_fds.ts";
import {
  type PosixChild,
  posixSpawn,
  posixSpawnAvailable,
  type SpawnVectors,
} from "./posix_spawn.ts";
import { ERRNO, errnoName } from "./libc.ts";
import { signalGroup } from "./group.ts";
import { type ChildExits, childExits, type ExitWatcher, type WaitStatus } from "./child_exits.ts";
import { pipeSource } from "./pipe_source.ts";
import { childBaseEnv } from "./child_env.ts";
import { fileMode, processStartTime } from "./kernel_files.ts";
import { linkTarget, procStdin, procStdinAvailable } from "./stdin_writer.ts";
import { shimScript } from "./shim.ts";
import { FixedDelayQueue, type QueuedDeadline } from "../util/fixed_delay_queue.ts";
import type { RestartedChild } from "./native_restart.ts";

/** Everything needed to start one child. */
export interface SpawnSpec {
  readonly argv: readonly string[];
  /** Added to taskmaster's environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string | null;
  readonly umask: number | null;
  readonly uid: number | null;
  readonly gid: number | null;
  /**
   * One pipe for both streams (`stdout` and `stderr` name the same file):
   * the child's stderr is its stdout, so the bytes keep the order the program
   * wrote them in, as with a shell's `>f 2>&1`. The child then has no stderr
   * pipe of its own.
   */
  readonly combineOutput: boolean;
  /** A cgroup directory the child enters before it execs the command. */
  readonly cgroup?: string | null;
  /** The instance's name, for supervisord's EMFILE wording. */
  readonly name?: string;
  /**
   * The child reads EOF on stdin once `stdin` is closed (a health probe).
   * Otherwise (a program) its stdin stays open for writes for its whole life
   * without the daemon holding a descriptor for it (see stdin_writer.ts).
   */
  readonly closableStdin?: boolean;
  /**
   * Read the output pipes through descriptors of the daemon's own rather
   * than Deno's streams (pipe_fds.ts): {@link SpawnedChild.output} then has
   * them, when they could be taken.
   */
  readonly directOutput?: boolean;
  /**
   * Streams nobody reads (discarded_streams.ts). Where the daemon starts the
   * child itself (`directOutput`), they go to /dev/null with no pipe; where
   * Deno does, they are piped and dropped as before.
   */
  readonly discard?: DiscardedStreams;
  /**
   * Keep what a native spawn started it from, for a restart by native code
   * at its exit (native_restart.ts): {@link SpawnedChild.restartVectors}.
   */
  readonly keepForRestart?: boolean;
}

/** Exit of a child: a code, or the signal that killed it. */
export interface ExitStatus {
  readonly code: number | null;
  readonly signal: string | null;
}

/**
 * Told once a child has ended (as its `status` settles): an object already
 * there (the instance's), not a promise chain held per child (issue 17).
 */
export interface ChildEndListener {
  childEnded(child: SpawnedChild, status: ExitStatus): void;
  /**
   * Told as the child is reaped, before its pipes are drained and
   * `childEnded` follows: a restart can start the next child now. Called
   * from the collector's sweep: it must not throw.
   */
  childReaped?(child: SpawnedChild, status: ExitStatus): void;
}

/** A running child, leader of its own session and process group. */
export interface SpawnedChild {
  readonly pid: number;
  /** Field 22 of /proc/PID/stat, when known: with the pid it names this process for good. */
  readonly startTime?: string | null;
  readonly stdin: WritableStream<Uint8Array>;
  /** Ends at once, empty, when stdout went to /dev/null (`discard`). */
  readonly stdout: ReadableStream<Uint8Array>;
  /**
   * Null when the output is combined (stderr then arrives on `stdout`) or
   * when stderr went to /dev/null (`discard`).
   */
  readonly stderr: ReadableStream<Uint8Array> | null;
  /**
   * The same pipes read directly, when the spec asked and they could be
   * taken; then `stdout` and `stderr` are made from these on first use.
   * The reader must `release()` each (it closes the descriptor).
   */
  readonly output?: { readonly stdout: ByteSource | null; readonly stderr: ByteSource | null };
  /**
   * Settles when the child has been reaped and, with `output`, once its
   * readers took what its pipes held (so its last lines are written first).
   */
  readonly status: Promise<ExitStatus>;
  /**
   * Tells `listener` when `status` settles (in a later microtask or task,
   * never during this call), holding no promise meanwhile. One listener.
   */
  onEnd(listener: ChildEndListener): void;
  /** What it was started from, kept when the spec asked (`keepForRestart`) and the native code started it. */
  readonly restartVectors?: SpawnVectors;
}

/** Either a child, or why it could not be started. */
export type SpawnResult =
  | { readonly ok: true; readonly child: SpawnedChild }
  | { readonly ok: false; readonly reason: string };

/** Starts processes; swapped for a fake in runner tests. */
export interface Spawner {
  spawn(spec: SpawnSpec): SpawnResult;
  /** Holds a child the native code restarted (native_restart.ts): its pipes read, its exit collected. */
  adopt?(child: RestartedChild): SpawnedChild;
}

/** Spawns with `Deno.Command`; every child gets its own session and group. */
export class DenoSpawner implements Spawner {
  /** Children Deno waits for: an orphan reaper must leave their exit to Deno. */
  #live = new Set<number>();
  #baseEnv: Readonly<Record<string, string>>;
  #setpriv: string | null;
  #root = Deno.uid() === 0;
  #procStdin = procStdinAvailable();
  /** Opened with the spawner: its two descriptors are the daemon's from the start, not a spawn's. */
  #poller = outputPoller();

  /**
   * `baseEnv`: what every child's environment starts from (taskmaster's
   * own, minus its internals); `setpriv`: the tool that applies a user's
   * groups (without it, `user:` programs get the uid and gid only).
   */
  constructor(options: { baseEnv?: Record<string, string>; setpriv?: string | null } = {}) {
    this.#baseEnv = options.baseEnv ?? childBaseEnv(Deno.env.toObject());
    this.#setpriv = options.setpriv !== undefined ? options.setpriv : findSetpriv();
  }

  /**
   * Loads now what the first spawn would: posix_spawn's functions and, when
   * `native` (a cgroup or a umask to set), the native code (~10–15 ms of FFI
   * loading), so that a program first started by a request (`autostart:
   * false`) does not wait for them.
   */
  warm(needs: { native: boolean }): void {
    posixSpawnAvailable({ cwd: true });
    if (needs.native) posixSpawnAvailable({ cwd: true, native: true });
  }

  adopt(child: RestartedChild): SpawnedChild {
    return holdPosixChild(child, this.#poller!, childExits()!);
  }

  /** Whether `pid` is a child of ours that Deno has not collected yet. */
  isManaged(pid: number): boolean {
    return this.#live.has(pid);
  }

  spawn(spec: SpawnSpec): SpawnResult {
    const program = spec.argv[0];
    if (program === undefined) return { ok: false, reason: "empty command" };
    const env = { ...this.#baseEnv, ...spec.env };
    const resolved = resolveCommand(program, env.PATH ?? "");
    if (!resolved.ok) return resolved;
    if (spec.cwd !== null) {
      const problem = directoryProblem(spec.cwd);
      if (problem !== null) {
        return { ok: false, reason: `couldn't chdir to ${spec.cwd}: ${problem}` };
      }
    }
    let command = resolved.path;
    let args = spec.argv.slice(1);
    // As root with setpriv, the account is applied by setpriv (with its groups), not by Deno.
    const account = spec.uid !== null && this.#setpriv !== null && this.#root
      ? { uid: spec.uid, gid: spec.gid ?? spec.uid }
      : null;
    if (account !== null) {
      args = [
        `--reuid=${account.uid}`,
        `--regid=${account.gid}`,
        "--init-groups",
        "--",
        command,
        ...args,
      ];
      command = this.#setpriv!;
    }
    const cgroup = spec.cgroup ?? null;
    // A child Deno switches to another user could not reopen a pipe root
    // made (mode 0600): it keeps the daemon's end instead.
    const reopenStdin = this.#procStdin && spec.closableStdin !== true &&
      (spec.uid === null || account !== null);
    const poller = spec.directOutput === true ? this.#poller : null;
    // Without Deno.Command (posix_spawn.ts): a program whose pipes the daemon
    // reads itself and whose stdin it leaves to the child (no uid for Deno to set).
    const direct = poller !== null && reopenStdin &&
      posixSpawnAvailable({ cwd: spec.cwd !== null });
    // posix_spawn sets up the stdin and a combined stderr itself, and returns
    // only once the program is exec'ed; the native code (native_spawn.ts) also
    // starts it in its cgroup and sets its umask. A shell (~3 ms of a restart,
    // and the cgroup entry's RCU wait) is left for what neither can set.
    const native = direct && (cgroup !== null || spec.umask !== null) &&
      posixSpawnAvailable({ cwd: spec.cwd !== null, native: true });
    const shimmed = (): { command: string; args: string[]; shim: boolean } => {
      const needsShell = !direct || spec.umask !== null || cgroup !== null;
      const shim = !needsShell ? null : shimScript({
        umask: spec.umask !== null,
        combineOutput: spec.combineOutput && !direct,
        cgroup: cgroup !== null,
        parent: true,
        reopenStdin: reopenStdin && !direct,
      });
      if (shim === null) return { command, args, shim: false };
      const zero = spec.umask === null ? "sh" : spec.umask.toString(8).padStart(3, "0");
      const parent = String(Deno.pid);
      return {
        command: "/bin/sh",
        args: ["-c", shim, zero, parent, ...(cgroup === null ? [] : [cgroup]), command, ...args],
        shim: true,
      };
    };
    if (native) {
      const started = spawnDirect(command, args, env, spec, poller!, { cgroup, umask: spec.umask });
      // The cgroup could not be opened (a removal won a race) or clone3 is refused: the shim can.
      if (started !== "native") return started;
    }
    if (direct) {
      const viaShim = shimmed();
      // A shim's start (the native code refused) is not the one to restart natively.
      const shimSpec = viaShim.shim ? { ...spec, keepForRestart: false } : spec;
      return spawnDirect(
        viaShim.command,
        viaShim.args,
        env,
        shimSpec,
        poller!,
        null,
      ) as SpawnResult;
    }
    ({ command, args } = shimmed());
    const firstFreeFd = poller === null ? null : lowestFreeFd();
    let started: Deno.ChildProcess | null = null;
    try {
      const child = started = new Deno.Command(command, {
        args,
        env,
        clearEnv: true,
        ...(spec.cwd === null ? {} : { cwd: spec.cwd }),
        ...(spec.uid === null || account !== null ? {} : { uid: spec.uid }),
        ...(spec.gid === null || account !== null ? {} : { gid: spec.gid }),
        stdin: "piped",
        stdout: "piped",
        // Combined: the shim points fd 2 at the stdout pipe before exec.
        stderr: spec.combineOutput ? "null" : "piped",
        detached: true,
      }).spawn();
      this.#live.add(child.pid);
      const pipes = outputPipeIdentities(child.pid, spec.combineOutput ? [1] : [1, 2]);
      const output = poller === null || firstFreeFd === null
        ? null
        : takeOutputPipes(child, pipes, firstFreeFd, poller);
      const identity = reopenStdin ? linkTarget(`/proc/${child.pid}/fd/0`) : null;
      if (reopenStdin) child.stdin.close().catch(() => {});
      const startTime = processStartTime(child.pid);
      const record = new SpawnedChildRecord({
        pid: child.pid,
        startTime,
        stdin: reopenStdin ? identity : child.stdin,
        output,
        // Taken pipes: streams of them only for a reader that asks (the relay does not).
        streams: output !== null
          ? null
          : { stdout: child.stdout, stderr: spec.combineOutput ? null : child.stderr },
      });
      child.status.then((s) => {
        this.#live.delete(child.pid);
        // A pipe the daemon kept (no /proc reopen) and nobody took a writer of.
        if (!reopenStdin && !child.stdin.locked) child.stdin.close().catch(() => {});
        record.exited({ code: s.signal === null ? s.code : null, signal: s.signal });
      });
      return { ok: true, child: record };
    } catch (error) {
      if (started !== null) {
        // A defect of ours after the child started: it must not run on untracked.
        const child = started;
        killGroup(child.pid);
        child.status.then(() => this.#live.delete(child.pid));
        // Already closed or cancelled (taken), these reject: nothing is left to let go.
        child.stdin.abort().catch(() => {});
        child.stdout.cancel().catch(() => {});
        if (!spec.combineOutput) child.stderr.cancel().catch(() => {});
        throw error;
      }
      // The pipes could not even be made.
      if (isOutOfFds(error)) return tooManyOpenFiles(spec);
      return { ok: false, reason: `couldn't exec ${program}: ${errorText(error)}` };
    }
  }
}

/**
 * Starts `command` with posix_spawn: pipes and exit are the daemon's own
 * (posix_spawn.ts, child_exits.ts), nothing of Deno's is held for the child.
 */
function spawnDirect(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  spec: SpawnSpec,
  poller: FdPoller,
  natively: { cgroup: string | null; umask: number | null } | null,
): SpawnResult | "native" {
  const exits = childExits()!;
  const request = {
    path: command,
    argv: [command, ...args],
    env,
    cwd: spec.cwd,
    combineOutput: spec.combineOutput,
    discard: spec.discard,
    cgroup: natively?.cgroup ?? null,
    umask: natively?.umask ?? null,
    keepVectors: spec.keepForRestart === true,
  };
  let started = posixSpawn(request);
  if (!started.ok && started.during === "native" && natively === null) {
    // Only kept vectors sent it to the native code, which is refused here: glibc's then.
    started = posixSpawn({ ...request, keepVectors: false });
  }
  if (!started.ok && started.errno === ERRNO.ENOEXEC && runsAsScript(command)) {
    // An executable text without `#!` runs as a shell script, as execvp (and
    // the shim's `exec`) would run it; a binary for another machine does not.
    started = posixSpawn({ ...request, path: "/bin/sh", argv: ["/bin/sh", ...request.argv] });
  }
  if (!started.ok) {
    if (started.during === "native") return "native";
    if (started.during === "fork") {
      // supervisord's words for a failed fork.
      const name = spec.name ?? spec.argv[0];
      return {
        ok: false,
        reason: started.errno === ERRNO.EAGAIN
          ? `Too many processes in process table to spawn '${name}'`
          : `unknown error during fork for '${name}': ${errnoName(started.errno)}`,
      };
    }
    if (started.during === "args") {
      return { ok: false, reason: `couldn't exec ${command}: nul byte found in provided data` };
    }
    const outOfFds = started.errno === ERRNO.EMFILE || started.errno === ERRNO.ENFILE;
    if (started.during === "pipes" && outOfFds) {
      return tooManyOpenFiles(spec);
    }
    // supervisord's wording for a failed execve, e.g. a #! naming a missing interpreter.
    return { ok: false, reason: `couldn't exec ${command}: ${errnoName(started.errno)}` };
  }
  return { ok: true, child: holdPosixChild(started.child, poller, exits) };
}

/** A record of `child` (started by posix_spawn or the native code), its exit watched. */
function holdPosixChild(
  child: PosixChild,
  poller: FdPoller,
  exits: ChildExits,
): SpawnedChild {
  const { pid } = child;
  try {
    const record = new SpawnedChildRecord({
      pid,
      startTime: child.startTime ?? processStartTime(pid),
      stdin: child.stdin,
      output: {
        // Pipes posix_spawn made: the daemon holds the only descriptor of their read ends.
        stdout: child.stdout === null ? null : pipeSource(child.stdout, poller, true),
        stderr: child.stderr === null ? null : pipeSource(child.stderr, poller, true),
      },
      streams: null,
      restartVectors: child.vectors,
    });
    exits.watch(pid, record);
    return record;
  } catch (error) {
    // A defect of ours, after the child started: it is killed and collected
    // rather than left running untracked (the caller reports the failure).
    endUnheldChild(pid, [child.stdout, child.stderr], exits);
    throw error;
  }
}

/** Kills a child nothing holds, closes its pipes' read ends, and has its exit collected. */
function endUnheldChild(
  pid: number,
  readEnds: readonly (number | null)[],
  exits: ChildExits,
): void {
  killGroup(pid);
  for (const fd of readEnds) if (fd !== null) closeFd(fd);
  if (!exits.watches(pid)) exits.watch(pid, { exited: () => {} });
}

/** SIGKILL to group `pgid`, if anything of it is left. */
function killGroup(pgid: number): void {
  try {
    signalGroup(pgid, "SIGKILL");
  } catch { /* Not ours to signal any more: nothing to end. */ }
}

/** What a spawn reads its child's output through: descriptors of its own. */
type OwnOutput = NonNullable<SpawnedChild["output"]>;

/**
 * The record of a started child. With its output taken (`output`), streams
 * of it are made only for a reader that asks (the relay does not); without,
 * `streams` are Deno's. A class, not an object literal with getters: one
 * is kept per instance (issue 17), and a literal with accessors and a
 * spread cost ~0.8 KB more (slow properties, a closure per getter).
 */
class SpawnedChildRecord implements SpawnedChild, ExitWatcher {
  readonly pid: number;
  readonly startTime: string | null;
  readonly output: OwnOutput | undefined;
  readonly restartVectors: SpawnVectors | undefined;
  /**
   * Deno's stdin stream, or the /proc identity of the pipe a writer is made
   * of on first use (null: not known).
   */
  #stdinSource: WritableStream<Uint8Array> | string | null;
  #stdin: WritableStream<Uint8Array> | null = null;
  #stdout: ReadableStream<Uint8Array> | null;
  #stderr: ReadableStream<Uint8Array> | null;
  /** How it ended, once it has (and its pipes were drained). */
  #ended: ExitStatus | null = null;
  #listener: ChildEndListener | null = null;
  /** Made for a caller that asks: the instance's own relays listen instead. */
  #status: Promise<ExitStatus> | null = null;
  #settle: ((status: ExitStatus) => void) | null = null;

  constructor(parts: {
    pid: number;
    startTime: string | null;
    /** Deno's stream, or the /proc identity of the child's stdin pipe (null: not known). */
    stdin: WritableStream<Uint8Array> | string | null;
    output: OwnOutput | null;
    streams: {
      stdout: ReadableStream<Uint8Array>;
      stderr: ReadableStream<Uint8Array> | null;
    } | null;
    restartVectors?: SpawnVectors;
  }) {
    this.pid = parts.pid;
    this.restartVectors = parts.restartVectors;
    this.startTime = parts.startTime;
    this.output = parts.output ?? undefined;
    this.#stdinSource = parts.stdin;
    this.#stdout = parts.streams?.stdout ?? null;
    this.#stderr = parts.streams?.stderr ?? null;
  }

  /** The child was reaped: it has ended once its readers took what its pipes held. */
  exited(status: WaitStatus): void {
    this.#listener?.childReaped?.(this, status);
    const end = () => this.#end(status);
    // Never during the call: the collector (or Deno's status) is not re-entered.
    if (this.output === undefined) queueMicrotask(end);
    else drainOutput(this.output, end);
  }

  #end(status: ExitStatus): void {
    this.#ended = status;
    this.#settle?.(status);
    this.#settle = null;
    const listener = this.#listener;
    this.#listener = null;
    listener?.childEnded(this, status);
  }

  get status(): Promise<ExitStatus> {
    if (this.#status === null) {
      const ended = this.#ended;
      this.#status = ended !== null
        ? Promise.resolve(ended)
        : new Promise((resolve) => this.#settle = resolve);
    }
    return this.#status;
  }

  onEnd(listener: ChildEndListener): void {
    const ended = this.#ended;
    if (ended === null) this.#listener = listener;
    else queueMicrotask(() => listener.childEnded(this, ended));
  }

  /** Most children are never written to: a /proc writer is ~1 KB, made when first asked for. */
  get stdin(): WritableStream<Uint8Array> {
    const source = this.#stdinSource;
    if (source instanceof WritableStream) return source;
    return this.#stdin ??= procStdin(this.pid, source);
  }

  get stdout(): ReadableStream<Uint8Array> {
    if (this.#stdout === null) {
      // Without Deno's streams, the output was taken (a discarded stdout has no source).
      const source = this.output!.stdout;
      this.#stdout = source === null ? emptyStream() : byteSourceStream(source);
    }
    return this.#stdout;
  }

  get stderr(): ReadableStream<Uint8Array> | null {
    if (this.output === undefined || this.output.stderr === null) return this.#stderr;
    return this.#stderr ??= byteSourceStream(this.output.stderr);
  }
}

/** A discarded stream's: it ends at once. */
function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (controller) => controller.close() });
}

/** supervisord's wording when no descriptor is left for the child's pipes. */
function tooManyOpenFiles(spec: SpawnSpec): SpawnResult {
  return { ok: false, reason: `too many open files to spawn '${spec.name ?? spec.argv[0]}'` };
}

/**
 * The child's output pipes as descriptors of ours, Deno's streams of them
 * closed; null (Deno's streams untouched) when either cannot be taken.
 */
function takeOutputPipes(
  child: Deno.ChildProcess,
  pipes: readonly (PipeIdentity | null)[],
  firstFreeFd: number,
  poller: FdPoller,
): { stdout: ByteSource; stderr: ByteSource | null } | null {
  const fds = duplicateOutputPipes(pipes, firstFreeFd);
  if (fds === null) return null;
  const [stdout, stderr] = fds;
  child.stdout.cancel().catch(() => {});
  if (stderr !== undefined) child.stderr.cancel().catch(() => {});
  return {
    stdout: pipeSource(stdout!, poller),
    stderr: stderr === undefined ? null : pipeSource(stderr, poller),
  };
}

/**
 * Whether an executable that execve refused (ENOEXEC) is a text for the
 * shell: not an ELF file (one built for another machine), and no NUL byte
 * in its first line (bash's test for a binary file).
 */
function runsAsScript(path: string): boolean {
  let file: Deno.FsFile | null = null;
  try {
    file = Deno.openSync(path);
    const head = new Uint8Array(256);
    const n = file.readSync(head) ?? 0;
    const bytes = head.subarray(0, n);
    const elf = n >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c &&
      bytes[3] === 0x46;
    const newline = bytes.indexOf(10);
    return !elf && !bytes.subarray(0, newline < 0 ? n : newline).includes(0);
  } catch {
    return false;
  } finally {
    file?.close();
  }
}

/** How long an exit waits at most for its output to be taken (a log on a FIFO nobody reads). */
const DRAIN_LIMIT_MS = 100;

/**
 * Has the readers of taken pipes take what they hold, then calls `done`
 * (never during the call), at the latest {@link DRAIN_LIMIT_MS} later:
 * their wake-ups come through the poller's thread, which the exit (Deno's
 * reactor) would otherwise overtake.
 */
function drainOutput(output: OwnOutput, done: () => void): void {
  const { stdout, stderr } = output;
  let left = Number(stdout?.drain !== undefined) + Number(stderr?.drain !== undefined);
  if (left === 0) {
    queueMicrotask(done);
    return;
  }
  let limit: QueuedDeadline | null = null;
  const drained = () => {
    if (left === 0 || --left > 0) return;
    if (limit !== null) drainLimits.delete(limit);
    done();
  };
  stdout?.drain?.(drained);
  stderr?.drain?.(drained);
  // A pipe already at its end is drained in the microtasks its wake-up
  // queued just now, before this one: a restart then arms no timer (~0.08 ms
  // of a node Timeout and its list, before the spawn).
  queueMicrotask(() => {
    if (left === 0) return;
    limit = drainLimits.add(() => {
      left = 0;
      done();
    });
  });
}

/** The drains still waiting. */
const drainLimits = new FixedDelayQueue(DRAIN_LIMIT_MS);

/** setpriv (util-linux) where the system keeps it, or null. */
function findSetpriv(): string | null {
  const found = resolveCommand("setpriv", "/usr/bin:/bin:/usr/sbin:/sbin");
  return found.ok ? found.path : null;
}

/** Finds the executable as execvp would, with supervisord's error wording. */
export function resolveCommand(
  program: string,
  path: string,
): { ok: true; path: string } | { ok: false; reason: string } {
  // A PATH search stats (and throws for) every directory before the right
  // one; 1000 instances of one program would pay it 1000 times. The cached
  // answer is re-checked with one stat, so a removed binary is noticed.
  const key = `${program}\0${path}`;
  const cached = RESOLVED.get(key);
  if (cached !== undefined && isExecutableFile(cached)) return { ok: true, path: cached };
  const result = searchCommand(program, path);
  if (result.ok) RESOLVED.set(key, result.path);
  else RESOLVED.delete(key);
  return result;
}

const RESOLVED = new Map<string, string>();

function isExecutableFile(path: string): boolean {
  const mode = modeOf(path);
  return mode !== null && isExecutable(mode);
}

/** `path`'s st_mode (links followed): statx through FFI, else Deno's stat; null when it cannot be stat'ed. */
function modeOf(path: string): number | null {
  const mode = fileMode(path);
  if (mode !== undefined) return mode;
  try {
    return Deno.statSync(path).mode;
  } catch {
    return null;
  }
}

/** A regular file with an execute bit. */
function isExecutable(mode: number): boolean {
  return (mode & S_IFMT) === S_IFREG && (mode & 0o111) !== 0;
}

function searchCommand(
  program: string,
  path: string,
): { ok: true; path: string } | { ok: false; reason: string } {
  const candidates = program.includes("/")
    ? [program]
    : path.split(":").filter((dir) => dir !== "").map((dir) => `${dir}/${program}`);
  for (const candidate of candidates) {
    const mode = modeOf(candidate);
    if (mode === null) continue;
    if (isExecutable(mode)) return { ok: true, path: candidate };
    if (program.includes("/")) {
      return { ok: false, reason: `command at '${program}' is not executable` };
    }
  }
  return { ok: false, reason: `can't find command '${program}'` };
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

function directoryProblem(dir: string): string | null {
  try {
    return Deno.statSync(dir).isDirectory ? null : "ENOTDIR";
  } catch (error) {
    return error instanceof Deno.errors.NotFound ? "ENOENT" : errorText(error);
  }
}

/** EMFILE (this process) or ENFILE (the whole system). */
export function isOutOfFds(error: unknown): boolean {
  return error instanceof Error && /os error 2[34]\b|too many open files/i.test(error.message);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
