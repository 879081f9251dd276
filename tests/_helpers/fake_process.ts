/**
 * In-memory time and children for runner, supervisor and health tests: a
 * clock that moves only when told, and a spawner whose children exit when
 * the test says so, and an OS that records the signals a real one would send.
 */
import type {
  ChildEndListener,
  ExitStatus,
  SpawnedChild,
  SpawnResult,
  SpawnSpec,
} from "../../src/process/spawner.ts";
import type { Clock } from "../../src/util/clock.ts";
import type { ProcessOs } from "../../src/process/process_os.ts";
import type { CgroupPort } from "../../src/process/cgroups.ts";

/** A clock whose time moves only when the test says so. */
export class FakeClock implements Clock {
  #now = 1_000_000;
  #timers: { at: number; fn: () => void }[] = [];
  now(): number {
    return this.#now;
  }
  schedule(at: number, fn: () => void): () => void {
    const timer = { at, fn };
    this.#timers.push(timer);
    return () => (this.#timers = this.#timers.filter((t) => t !== timer));
  }
  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = due.at;
      due.fn();
    }
    this.#now = until;
  }
}

/** Children that exist only in memory; the test decides when they exit. */
export class FakeSpawner {
  spawned: SpawnSpec[] = [];
  #exitsByPid = new Map<number, (status: ExitStatus) => void>();
  failWith: string | null = null;
  /** Thrown by the next spawns, as a defect of the spawner would be. */
  throwWith: Error | null = null;
  /**
   * Tells a child's listener it was reaped, at once, before its end follows
   * (as the real spawner's records do): an instance may start the next one then.
   */
  reapsAhead = false;
  // Pids above any pid_max: they name no real process (signals go to FakeOs).
  #nextPid = 5_000_000;

  spawn(spec: SpawnSpec): SpawnResult {
    this.spawned.push(spec);
    if (this.throwWith !== null) throw this.throwWith;
    if (this.failWith !== null) return { ok: false, reason: this.failWith };
    let settle!: (status: ExitStatus) => void;
    const status = new Promise<ExitStatus>((resolve) => (settle = resolve));
    const pid = this.#nextPid++;
    let listener: ChildEndListener | null = null;
    let exited = false;
    this.#exitsByPid.set(pid, (end) => {
      if (exited) return;
      exited = true;
      if (this.reapsAhead) listener?.childReaped?.(child, end);
      settle(end);
    });
    const empty = () => new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    const child: SpawnedChild = {
      pid,
      stdin: new WritableStream(),
      stdout: empty(),
      stderr: empty(),
      status,
      onEnd: (l) => {
        listener = l;
        status.then((s) => l.childEnded(child, s));
      },
    };
    return { ok: true, child };
  }

  /** Makes the latest child exit. */
  exitLatest(status: ExitStatus): void {
    // Never deleted from: the newest entry is the latest child.
    [...this.#exitsByPid.values()].at(-1)!(status);
  }

  /** Makes child `pid` exit (a second exit of the same child is ignored). */
  exit(pid: number, status: ExitStatus): void {
    this.#exitsByPid.get(pid)?.(status);
  }
}

/** The kernel as a runner sees it: signals are recorded, never sent. */
export class FakeOs implements ProcessOs {
  /** Every signal, in order: `kill` to one pid, `group` to a process group. */
  sent: { to: "kill" | "group"; id: number; signal: Deno.Signal }[] = [];
  /** Groups that still have members (a leader's survivors); none by default. */
  groups = new Set<number>();
  /** Directories that exist. */
  directories = new Set<string>();
  /** When set, `kill` throws it (a process that vanished: ESRCH). */
  killError: Error | null = null;

  kill(pid: number, signal: Deno.Signal): void {
    if (this.killError !== null) throw this.killError;
    this.sent.push({ to: "kill", id: pid, signal });
  }
  /** Called after each group signal is recorded (a test makes children die of it). */
  onGroupSignal: ((pgid: number, signal: Deno.Signal) => void) | null = null;

  signalGroup(pgid: number, signal: Deno.Signal): boolean {
    this.sent.push({ to: "group", id: pgid, signal });
    this.onGroupSignal?.(pgid, signal);
    return true;
  }
  groupExists(pgid: number): boolean {
    return this.groups.has(pgid);
  }
  isDirectory(path: string): boolean {
    return this.directories.has(path);
  }
  /** Each signal burst, as the range of `sent` it covered. */
  bursts: { from: number; to: number }[] = [];

  signalBurst(send: () => void): void {
    const from = this.sent.length;
    try {
      send();
    } finally {
      this.bursts.push({ from, to: this.sent.length });
    }
  }
}

/**
 * Cgroups as a runner sees them: each instance gets `/cg/<program>/<instance>`,
 * signals are recorded, never sent, and nothing is ever left in one.
 */
export class RecordedCgroups implements CgroupPort {
  signals: { path: string; signal: Deno.Signal; exceptGroup: number | null }[] = [];
  prepare(program: string, instance: string): string | null {
    return `/cg/${program}/${instance}`;
  }
  signal(path: string, signal: Deno.Signal, exceptGroup: number | null = null): void {
    this.signals.push({ path, signal, exceptGroup });
  }
  populated(): boolean {
    return false;
  }
  count(): number {
    return 0;
  }
  release(): void {}
}
