/**
 * What both supervisors look like to a scenario: a program description that
 * renders to either config format, a daemon handle that can only be torn
 * down by pid, and small statistics and printing helpers.
 *
 * @module
 */

import { childrenOf, identify, killTracked, type ProcId, readStat, sleep } from "./_proc.ts";

/** The two supervisors, and the floor: a C posix_spawn respawner with plain redirects (bench/floor.c). */
export type Kind = "taskmaster" | "supervisord" | "floor";
export const KINDS: readonly Kind[] = ["taskmaster", "supervisord"];

/** One program, in terms both supervisors understand. */
export interface ProgramSpec {
  readonly name: string;
  /** A command line without shell syntax outside quotes (split like shlex). */
  readonly cmd: string;
  readonly numprocs?: number;
  /** taskmaster `starttime`, supervisord `startsecs`. */
  readonly starttime: number;
  readonly startretries?: number;
  readonly autostart?: boolean;
  readonly autorestart?: "always" | "never" | "unexpected";
  /** Capture stdout to this file; null or absent discards it. */
  readonly stdout?: string | null;
  /** Rotate stdout past this many bytes (taskmaster `stdout_maxbytes`, supervisord `stdout_logfile_maxbytes`); 0 or absent never. */
  readonly stdoutMaxBytes?: number;
  /** Rotated files kept (`stdout_backups`, `stdout_logfile_backups`). */
  readonly stdoutBackups?: number;
  /** taskmaster `timestamps` (supervisord has none: a bench asking for it runs taskmaster only). */
  readonly timestamps?: boolean;
  /** taskmaster `stoptime`, supervisord `stopwaitsecs`. */
  readonly stoptime?: number;
}

/** A running private supervisor instance. */
export interface Daemon {
  readonly kind: Kind;
  /** The supervisor process itself (what /proc is asked about). */
  readonly pid: number;
  /** performance.now() taken just before the daemon was spawned. */
  readonly launchedAt: number;
  readonly dir: string;
  /** Resolves once the control socket answers. */
  ready(timeoutMs?: number): Promise<void>;
  /** Asks over the socket to stop every process; resolves with the answer. */
  stopAll(): Promise<void>;
  /** Asks over the socket to start one program (not waiting for it to run). */
  start(name: string): Promise<void>;
  /** The state name the supervisor reports for the process named `name`. */
  stateOf(name: string): Promise<string>;
  /** Every process's status over the socket (no client start-up); resolves with how many. */
  statusAll(): Promise<number>;
  /** Rewrites the config file with `programs`. */
  writeConfig(programs: readonly ProgramSpec[]): Promise<void>;
  /** argv of the supervisor's own command-line client with `words`. */
  clientArgv(words: readonly string[]): string[];
  /** Client words that apply a changed config file (taskmaster `reload`, supervisorctl `update`). */
  readonly applyConfigWords: readonly string[];
  /** Remembers the daemon's current children, so close() can kill them by pid if need be. */
  track(): void;
  /** SIGTERM, wait, then SIGKILL the daemon and every child it had, by pid and group. */
  close(): Promise<void>;
}

/** Daemons alive right now, so an interrupted bench still cleans up. */
export const liveDaemons = new Set<Pick<Daemon, "close">>();

/**
 * The part both daemon handles share: the process, the children seen so
 * far, and a teardown by pid that runs once. Subclasses add their protocol.
 */
export abstract class DaemonProcess {
  readonly pid: number;
  readonly launchedAt: number;
  readonly dir: string;
  protected readonly child: Deno.ChildProcess;
  /** Everything the daemon wrote on stderr (settles when it exits). */
  protected readonly stderr: Promise<string>;
  readonly #seen = new Map<number, ProcId>();
  #closed: Promise<void> | null = null;

  constructor(dir: string, child: Deno.ChildProcess, launchedAt: number) {
    this.dir = dir;
    this.child = child;
    this.pid = child.pid;
    this.launchedAt = launchedAt;
    this.stderr = new Response(child.stderr).text().catch(() => "");
    liveDaemons.add(this);
  }

  /** Whether the daemon exited, waiting at most 10 ms (for start-up polling loops). */
  protected exitedSoon(): Promise<boolean> {
    return Promise.race([this.child.status.then(() => true), sleep(10).then(() => false)]);
  }

  /** Remembers the daemon's current children, so close() can kill them by pid if need be. */
  track(): void {
    rememberChildren(this.pid, this.#seen);
  }

  /** Releases what the subclass holds (clients) once the daemon is gone. */
  protected released(): void {}

  /** SIGTERM, wait, then SIGKILL the daemon and every child it had, by pid and group. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      try {
        await teardown(this.pid, this.child.status, this.#seen);
      } finally {
        this.released();
        await this.stderr;
        liveDaemons.delete(this);
        await Deno.remove(this.dir, { recursive: true }).catch(() => {});
      }
    })();
    return this.#closed;
  }
}

/** Closes every daemon still running (on failure or interrupt). */
export async function closeAll(): Promise<void> {
  for (const daemon of [...liveDaemons]) {
    await daemon.close().catch(() => {});
  }
}

/**
 * Tears a daemon down: remembers its children, SIGTERMs it, waits up to
 * `graceMs` for it to exit, then SIGKILLs it and any child (and child's
 * process group) still alive. Works from pids only.
 */
export async function teardown(
  pid: number,
  exited: Promise<unknown>,
  seen: Map<number, ProcId>,
  graceMs = 30_000,
): Promise<void> {
  rememberChildren(pid, seen);
  const self = identify(pid);
  try {
    Deno.kill(pid, "SIGTERM");
  } catch {
    // already gone
  }
  const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done && self !== null) killTracked([self], "SIGKILL");
  await exited.catch(() => {});
  killTracked(seen.values(), "SIGKILL");
  // Give the killed ones a moment to go, then check nothing is left.
  const left = () =>
    [...seen.values()].filter((id) => readStat(id.pid)?.starttime === id.starttime);
  for (let i = 0; i < 100 && left().some((id) => readStat(id.pid)?.state !== "Z"); i++) {
    await sleep(10);
  }
}

/** Adds the current children of `pid` to `seen`. */
export function rememberChildren(pid: number, seen: Map<number, ProcId>): void {
  for (const child of childrenOf(pid)) {
    const id = identify(child);
    if (id !== null) seen.set(child, id);
  }
}

/** An HTTP client bound to a unix socket. */
export function unixClient(path: string): Deno.HttpClient {
  return Deno.createHttpClient({ proxy: { transport: "unix", path } });
}

/** Median; NaN when empty. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile `q` in [0, 1]; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? NaN;
  const b = sorted[hi] ?? NaN;
  return a + (b - a) * (pos - lo);
}

const encoder = new TextEncoder();

/** Writes one line to stdout. */
export function print(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

/** Writes one line of progress to stderr. */
export function progress(line: string): void {
  const bytes = encoder.encode(`  · ${line}\n`);
  let written = 0;
  while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
}

/** Runs `argv` to completion (output read and dropped); wall time in ms and exit code. */
export async function timeCommand(
  argv: readonly string[],
  cwd?: string,
): Promise<{ ms: number; code: number; stdout: string; stderr: string }> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error("empty argv");
  const command = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...(cwd === undefined ? {} : { cwd }),
  });
  const start = performance.now();
  const out = await command.output();
  const ms = performance.now() - start;
  const dec = new TextDecoder();
  return { ms, code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** One measured figure of a scenario, both supervisors and the floor side by side. */
export interface Figure {
  readonly scenario: string;
  readonly figure: string;
  readonly unit: string;
  readonly taskmaster: number | string | null;
  readonly supervisord: number | string | null;
  /** The C floor's figure, null where it has no counterpart. */
  readonly floor: number | string | null;
  /** taskmaster / supervisord when both are numbers. */
  readonly ratio: number | null;
  /** taskmaster / floor when both are numbers. */
  readonly floorRatio: number | null;
  /** The scenario's size (instances, kills, programs, MB…). */
  readonly n: number;
  readonly reps: number;
  readonly note?: string;
}

/** a / b when both are finite numbers and b is not 0. */
function ratioOf(a: number | string | null, b: number | string | null): number | null {
  return typeof a === "number" && typeof b === "number" && b !== 0 && Number.isFinite(a) &&
      Number.isFinite(b)
    ? a / b
    : null;
}

/** Builds a {@link Figure}, computing the ratios. */
export function fig(
  scenario: string,
  figure: string,
  unit: string,
  values: {
    taskmaster: number | string | null;
    supervisord: number | string | null;
    floor?: number | string | null;
  },
  n: number,
  reps: number,
  note?: string,
): Figure {
  const { taskmaster, supervisord } = values;
  const floor = values.floor ?? null;
  return {
    scenario,
    figure,
    unit,
    taskmaster,
    supervisord,
    floor,
    ratio: ratioOf(taskmaster, supervisord),
    floorRatio: ratioOf(taskmaster, floor),
    n,
    reps,
    ...(note === undefined ? {} : { note }),
  };
}

/** What every scenario gets from the command line. */
export interface ScenarioOptions {
  /** Small N, one repetition. */
  readonly quick: boolean;
  /** Repetitions (the median is reported). */
  readonly reps: number;
  /** Numbers of instances, for the scenarios that take several (`--sizes`). */
  readonly sizes?: readonly number[];
}

/** Per-kind samples collected over repetitions. */
export class Samples {
  readonly #values = new Map<string, number[]>();

  add(kind: Kind, key: string, value: number): void {
    const k = `${kind}\0${key}`;
    const list = this.#values.get(k) ?? [];
    list.push(value);
    this.#values.set(k, list);
  }

  /** Median over what was added for `kind` and `key`; null when nothing was. */
  median(kind: Kind, key: string): number | null {
    const list = this.#values.get(`${kind}\0${key}`);
    return list === undefined || list.length === 0 ? null : median(list);
  }

  /** Every kind's median of `key` (the floor's is null where it did not run). */
  both(
    key: string,
  ): { taskmaster: number | null; supervisord: number | null; floor: number | null } {
    return {
      taskmaster: this.median("taskmaster", key),
      supervisord: this.median("supervisord", key),
      floor: this.median("floor", key),
    };
  }
}
