/**
 * In-memory time and children for runner, supervisor and health tests: a
 * clock that moves only when told, and a spawner whose children exit when
 * the test says so.
 */
import type { ExitStatus, SpawnResult, SpawnSpec } from "../../src/process/spawner.ts";
import type { Clock } from "../../src/util/clock.ts";

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
  #exits: ((status: ExitStatus) => void)[] = [];
  failWith: string | null = null;
  // Pids above any pid_max, so a stray signal to them can only fail with ESRCH.
  #nextPid = 5_000_000;

  spawn(spec: SpawnSpec): SpawnResult {
    this.spawned.push(spec);
    if (this.failWith !== null) return { ok: false, reason: this.failWith };
    let exit!: (status: ExitStatus) => void;
    const status = new Promise<ExitStatus>((resolve) => (exit = resolve));
    this.#exits.push(exit);
    const empty = () => new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    return {
      ok: true,
      child: {
        pid: this.#nextPid++,
        stdin: new WritableStream(),
        stdout: empty(),
        stderr: empty(),
        status,
      },
    };
  }

  /** Makes the latest child exit. */
  exitLatest(status: ExitStatus): void {
    this.#exits.at(-1)!(status);
  }
}
