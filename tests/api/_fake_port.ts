/**
 * A scripted SupervisorPort for API tests: fixed processes `web:0`, `web:1`
 * (program `web`) and `db`, calls recorded in order, caller mistakes thrown
 * as TaskmasterErrors the way the real supervisor throws them, and live
 * streams fed by the test through push helpers.
 *
 * @module
 */

import {
  type ActionOptions,
  type ActionResult,
  type ProcessInfo,
  type ReloadReport,
  type RestartStep,
  type StateChange,
  type StreamName,
  type SupervisorPort,
} from "../../src/api/protocol.ts";
import { type ProcessState } from "../../src/process/state.ts";
import { TaskmasterError } from "../../src/util/errors.ts";

/** One recorded port call. */
export interface Call {
  readonly method: string;
  readonly args: readonly unknown[];
}

/** A live feed: pushes go to every open iterator; counts open/closed ones. */
class Feed<T> {
  readonly #waiters = new Set<(item: T) => void>();
  opened = 0;
  closed = 0;

  push(item: T): void {
    for (const waiter of this.#waiters) waiter(item);
  }

  get open(): number {
    return this.opened - this.closed;
  }

  async *iterate(signal: AbortSignal): AsyncGenerator<T> {
    this.opened++;
    const queue: T[] = [];
    let wake: (() => void) | null = null;
    const waiter = (item: T) => {
      queue.push(item);
      wake?.();
    };
    const onAbort = () => wake?.();
    this.#waiters.add(waiter);
    signal.addEventListener("abort", onAbort);
    try {
      while (!signal.aborted) {
        const item = queue.shift();
        if (item !== undefined) {
          yield item;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    } finally {
      this.#waiters.delete(waiter);
      signal.removeEventListener("abort", onAbort);
      this.closed++;
    }
  }
}

function info(name: string, program: string, index: number, state: ProcessState): ProcessInfo {
  const running = state === "RUNNING";
  return {
    name,
    program,
    index,
    state,
    pid: running ? 1000 + index : null,
    exitcode: null,
    signal: null,
    uptime: running ? 5 : null,
    spawnerr: null,
    description: running ? `pid ${1000 + index}, uptime 0:00:05` : "Not started",
    startedAt: running ? 1_700_000_000_000 : null,
    stoppedAt: null,
    cpu_percent: 0,
    rss_bytes: 0,
    restarts: 0,
    started_at: null,
    stdout: `/tmp/${name}.out`,
    stderr: program === "db" ? null : `/tmp/${name}.err`,
  };
}

/** Options are recorded only when given, so calls without them read as before. */
function optionArgs(options: ActionOptions): unknown[] {
  return options.perName ? [options] : [];
}

/** The fake. Mutable fields let a test script failures. */
export class FakePort implements SupervisorPort {
  readonly calls: Call[] = [];
  readonly outputFeed = new Feed<Uint8Array>();
  readonly logFeed = new Feed<string>();
  readonly eventFeed = new Feed<StateChange>();
  /** Thrown by the next call of any method when set (then cleared). */
  failNext: Error | null = null;
  /** Delay of start/stop, to keep requests in flight. */
  actionDelayMs = 0;
  shuttingDown = false;
  readonly states = new Map<string, ProcessState>([
    ["web:0", "RUNNING"],
    ["web:1", "RUNNING"],
    ["db", "STOPPED"],
  ]);
  reloadReport: ReloadReport = {
    added: ["new"],
    changed: [],
    updated: ["web"],
    removed: [],
    unchanged: ["db"],
  };
  readonly stdin: Uint8Array[] = [];

  #record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const fail = this.failNext;
    if (fail !== null) {
      this.failNext = null;
      throw fail;
    }
    if (this.shuttingDown) {
      throw new TaskmasterError("SHUTTING_DOWN", "taskmaster is shutting down");
    }
  }

  /** Instance names for program, instance or `all`; BAD_NAME otherwise. */
  resolve(names: readonly string[]): string[] {
    const out: string[] = [];
    for (const name of names) {
      const matched = [...this.states.keys()].filter((n) =>
        name === "all" || n === name || n.split(":")[0] === name
      );
      if (matched.length === 0) throw new TaskmasterError("BAD_NAME", `no such process: ${name}`);
      for (const m of matched) if (!out.includes(m)) out.push(m);
    }
    return out;
  }

  #one(name: string): string {
    const [only, ...more] = this.resolve([name]);
    if (only === undefined || more.length > 0) {
      throw new TaskmasterError("BAD_NAME", `not a single process: ${name}`);
    }
    return only;
  }

  #info(name: string): ProcessInfo {
    const [program = name, index = "0"] = name.split(":");
    return info(name, program, Number(index), this.states.get(name) ?? "UNKNOWN");
  }

  /** With `perName`, unknown names become BAD_NAME results first, as the real port answers. */
  async #act(
    names: readonly string[],
    act: (name: string) => ActionResult,
    options: ActionOptions = {},
  ): Promise<ActionResult[]> {
    const unknown = options.perName ? names.filter((n) => !this.#knows(n)) : [];
    const known = names.filter((n) => !unknown.includes(n));
    const targets = known.length > 0 ? this.resolve(known) : [];
    if (this.actionDelayMs > 0) await new Promise((r) => setTimeout(r, this.actionDelayMs));
    return [
      ...unknown.map((name): ActionResult => ({
        name,
        ok: false,
        error: { code: "BAD_NAME", message: `no such process: ${name}` },
      })),
      ...targets.map(act),
    ];
  }

  #knows(name: string): boolean {
    try {
      this.resolve([name]);
      return true;
    } catch {
      return false;
    }
  }

  status(names?: readonly string[]): Promise<ProcessInfo[]> {
    this.#record("status", names);
    const targets = names === undefined ? [...this.states.keys()] : this.resolve(names);
    return Promise.resolve(targets.map((n) => this.#info(n)));
  }

  start(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    this.#record("start", names, ...optionArgs(options));
    return this.#act(names, (name) => {
      if (this.states.get(name) === "RUNNING") {
        return { name, ok: false, error: { code: "ALREADY_STARTED", message: "already started" } };
      }
      this.states.set(name, "RUNNING");
      return { name, ok: true };
    }, options);
  }

  stop(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    this.#record("stop", names, ...optionArgs(options));
    return this.#act(names, (name) => {
      if (this.states.get(name) !== "RUNNING") {
        return { name, ok: false, error: { code: "NOT_RUNNING", message: "not running" } };
      }
      this.states.set(name, "STOPPED");
      return { name, ok: true };
    }, options);
  }

  restart(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    this.#record("restart", names, ...optionArgs(options));
    return this.#act(names, (name) => {
      const steps: RestartStep[] = this.states.get(name) === "RUNNING"
        ? ["stop", "start"]
        : ["start"];
      this.states.set(name, "RUNNING");
      return { name, ok: true, steps };
    }, options);
  }

  signal(
    signal: string,
    names: readonly string[],
    options: ActionOptions = {},
  ): Promise<ActionResult[]> {
    this.#record("signal", signal, names, ...optionArgs(options));
    if (!/^(SIG)?[A-Z0-9]+$/.test(signal)) {
      if (options.perName) {
        return Promise.resolve(names.map((name): ActionResult => ({
          name,
          ok: false,
          error: { code: "BAD_SIGNAL", message: "bad signal name" },
        })));
      }
      return Promise.reject(new TaskmasterError("BAD_SIGNAL", `bad signal name: ${signal}`));
    }
    return this.#act(names, (name) => ({ name, ok: true }), options);
  }

  clear(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    this.#record("clear", names, ...optionArgs(options));
    return this.#act(names, (name) => ({ name, ok: true }), options);
  }

  reload(): Promise<ReloadReport> {
    this.#record("reload");
    return Promise.resolve(this.reloadReport);
  }

  shutdown(): Promise<void> {
    this.#record("shutdown");
    this.shuttingDown = true;
    return Promise.resolve();
  }

  daemonPid(): Promise<number> {
    this.#record("daemonPid");
    return Promise.resolve(4242);
  }

  version(): Promise<string> {
    this.#record("version");
    return Promise.resolve("0.1.0-test");
  }

  tail(name: string, stream: StreamName, lines: number): Promise<string> {
    this.#record("tail", name, stream, lines);
    const one = this.#one(name);
    if (this.#info(one)[stream] === null) {
      throw new TaskmasterError("NO_FILE", `${one} has no ${stream} file`);
    }
    return Promise.resolve(
      Array.from({ length: lines }, (_, i) => `${one} ${stream} line ${i + 1} é\n`).join(""),
    );
  }

  follow(
    name: string,
    stream: StreamName,
    signal: AbortSignal,
  ): Promise<AsyncIterable<Uint8Array>> {
    return Promise.resolve().then(() => {
      this.#record("follow", name, stream);
      const one = this.#one(name);
      if (this.#info(one)[stream] === null) {
        throw new TaskmasterError("NO_FILE", `${one} has no ${stream} file`);
      }
      return this.outputFeed.iterate(signal);
    });
  }

  logTail(lines: number): Promise<string> {
    this.#record("logTail", lines);
    return Promise.resolve(Array.from({ length: lines }, (_, i) => `log ${i + 1}\n`).join(""));
  }

  logFollow(signal: AbortSignal): Promise<AsyncIterable<string>> {
    return Promise.resolve().then(() => {
      this.#record("logFollow");
      return this.logFeed.iterate(signal);
    });
  }

  sendStdin(name: string, data: Uint8Array): Promise<void> {
    this.#record("sendStdin", name, data);
    const one = this.#one(name);
    if (this.states.get(one) !== "RUNNING") {
      throw new TaskmasterError("NOT_RUNNING", `${one} is not running`);
    }
    this.stdin.push(data);
    return Promise.resolve();
  }

  events(signal: AbortSignal): Promise<AsyncIterable<StateChange>> {
    return Promise.resolve().then(() => {
      this.#record("events");
      return this.eventFeed.iterate(signal);
    });
  }

  why(name: string): Promise<string> {
    this.#record("why", name);
    return Promise.resolve(`${name} is RUNNING (pid 42).`);
  }
}

export { waitFor } from "../_helpers/wait_for.ts";
