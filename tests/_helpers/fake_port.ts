/**
 * The one scripted {@link SupervisorPort} for adapter tests (shell, HTTP API,
 * dashboard): a list of processes whose states follow the actions (a start
 * of a RUNNING instance is ALREADY_STARTED, a stop of a stopped one
 * NOT_RUNNING, as the real supervisor answers), every call recorded in
 * order, caller mistakes thrown as TaskmasterErrors the way the real port
 * throws them, and live streams fed by canned items and by the test.
 *
 * Scripting: `answers[method]` (a value, or a function of the call's
 * arguments) stands for the whole call; `errors[method]` is thrown by every
 * call of that method, `failNext` by the next call of any method.
 *
 * @module
 */

import type {
  ActionOptions,
  ActionResult,
  ProcessInfo,
  ReloadReport,
  StateChange,
  StreamName,
  SupervisorPort,
} from "../../src/api/protocol.ts";
import type { ProcessState } from "../../src/process/state.ts";
import { TaskmasterError } from "../../src/util/errors.ts";
import type { TextOutput } from "../../src/util/text_output.ts";

export { waitFor } from "./wait_for.ts";

/** A ProcessInfo with sensible defaults for `state`. */
export function proc(
  name: string,
  state: ProcessState,
  extra: Partial<ProcessInfo> = {},
): ProcessInfo {
  const [program = name, index = "0"] = name.split(":");
  const live = state === "RUNNING" || state === "STARTING" || state === "STOPPING";
  const pid = extra.pid !== undefined ? extra.pid : live ? 1000 + Number(index) : null;
  const uptime = extra.uptime !== undefined ? extra.uptime : live ? 62 : null;
  return {
    name,
    program,
    index: Number(index),
    state,
    pid,
    exitcode: null,
    signal: null,
    uptime,
    spawnerr: null,
    description: state === "RUNNING" ? `pid ${pid}, uptime 0:01:02` : "Not started",
    startedAt: null,
    stoppedAt: null,
    cpu_percent: 0,
    rss_bytes: 0,
    restarts: 0,
    started_at: null,
    stdout: `/tmp/${name}.out`,
    stderr: `/tmp/${name}.err`,
    ...extra,
  };
}

/** The facts of an instance put in `state` by an action (as the API tests know them). */
function inState(p: ProcessInfo, state: ProcessState): ProcessInfo {
  const running = state === "RUNNING";
  const pid = running ? 1000 + p.index : null;
  return {
    ...p,
    state,
    pid,
    uptime: running ? 5 : null,
    description: running ? `pid ${pid}, uptime 0:00:05` : "Not started",
    startedAt: running ? 1_700_000_000_000 : null,
  };
}

/**
 * Program `web` with two running instances and a stopped `db` without a
 * stderr file: the API tests' world.
 */
export function webAndDb(): ProcessInfo[] {
  return [
    inState(proc("web:0", "RUNNING"), "RUNNING"),
    inState(proc("web:1", "RUNNING"), "RUNNING"),
    inState(proc("db", "STOPPED", { stderr: null }), "STOPPED"),
  ];
}

type Method = keyof SupervisorPort;

/** One recorded port call. */
export interface Call {
  readonly method: Method;
  readonly args: readonly unknown[];
}

/**
 * A live feed: a reader gets its first items, then whatever the test
 * pushes, until its signal aborts. Counts open and closed readers.
 */
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

  async *iterate(signal: AbortSignal, first: readonly T[] = []): AsyncGenerator<T> {
    this.opened++;
    const queue: T[] = [...first];
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
        if (queue.length > 0) {
          yield queue.shift()!;
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

/**
 * The flags that change what is acted on (`noDeps`), recorded after the
 * names when set. `perName` only shapes the answer; every action's options
 * are in {@link FakePort.options}.
 */
function flagArgs(options: ActionOptions = {}): unknown[] {
  return options.noDeps ? [{ noDeps: true }] : [];
}

const badName = (name: string): ActionResult => ({
  name,
  ok: false,
  error: { code: "BAD_NAME", message: `no such process: ${name}` },
});

/** The fake. Mutable fields let a test script answers and failures. */
export class FakePort implements SupervisorPort {
  readonly calls: Call[] = [];
  processes: ProcessInfo[];
  /** Canned return values, by method (a function gets the call's arguments). */
  answers: Partial<Record<Method, unknown>> = {};
  /** Errors thrown by every call of a method. */
  errors: Partial<Record<Method, Error>> = {};
  /** Thrown by the next call of any method when set (then cleared). */
  failNext: Error | null = null;
  /** Delay of every action, to keep requests in flight. */
  actionDelayMs = 0;
  shuttingDown = false;
  /** The options of every action call, in order. */
  readonly options: ActionOptions[] = [];
  /** Signal names the port rejects (BAD_SIGNAL); also any name not like `HUP`/`SIGHUP`/`1`. */
  readonly badSignals = new Set<string>();
  /** What sendStdin wrote, by instance. */
  readonly stdin: { name: string; data: Uint8Array }[] = [];
  /** Chunks a follow yields first, by `name/stream` (`web:0/stderr`). */
  followChunks: Record<string, string[]> = {};
  /** Lines `logFollow` yields first. */
  logLines: string[] = [];
  /** Live output: what the test pushes reaches every open follow. */
  readonly outputFeed = new Feed<Uint8Array>();
  readonly logFeed = new Feed<string>();
  readonly eventFeed = new Feed<StateChange>();
  /** Called when a follow starts (lets a test abort at the right time). */
  onFollow?: (name: string, stream: StreamName) => void;
  reloadReport: ReloadReport = { added: [], changed: [], updated: [], removed: [], unchanged: [] };

  constructor(processes: ProcessInfo[] = []) {
    this.processes = processes;
  }

  /** The calls of one method, arguments only. */
  callsOf(method: Method): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => [...c.args]);
  }

  /** What sendStdin wrote, decoded. */
  stdinText(): { name: string; text: string }[] {
    return this.stdin.map(({ name, data }) => ({ name, text: new TextDecoder().decode(data) }));
  }

  /** Records the call, then throws what the test scripted (or SHUTTING_DOWN). */
  #record(method: Method, args: readonly unknown[]): void {
    this.calls.push({ method, args });
    const fail = this.failNext;
    if (fail !== null) {
      this.failNext = null;
      throw fail;
    }
    const error = this.errors[method];
    if (error) throw error;
    if (this.shuttingDown) {
      throw new TaskmasterError("SHUTTING_DOWN", "taskmaster is shutting down");
    }
  }

  #answer<T>(method: Method, args: readonly unknown[], fallback: () => T): T {
    const canned = this.answers[method];
    if (canned === undefined) return fallback();
    return (typeof canned === "function" ? canned(...args) : canned) as T;
  }

  /** Instances for program, instance, `prog:*` or `all` (none: all); BAD_NAME otherwise. */
  #targets(names: readonly string[] | undefined): ProcessInfo[] {
    if (names === undefined || names.length === 0) return this.processes;
    const found: ProcessInfo[] = [];
    for (const name of names) {
      const program = name.endsWith(":*") ? name.slice(0, -2) : name;
      const matches = this.processes.filter((p) =>
        name === "all" || p.name === name || p.program === program
      );
      if (matches.length === 0) throw new TaskmasterError("BAD_NAME", `no such process: ${name}`);
      for (const p of matches) if (!found.includes(p)) found.push(p);
    }
    return found;
  }

  #knows(name: string): boolean {
    try {
      this.#targets([name]);
      return true;
    } catch {
      return false;
    }
  }

  #one(name: string): ProcessInfo {
    const [only, ...more] = this.#targets([name]);
    if (only === undefined || more.length > 0) {
      throw new TaskmasterError("BAD_NAME", `not a single process: ${name}`);
    }
    return only;
  }

  #setState(name: string, state: ProcessState): void {
    this.processes = this.processes.map((p) => p.name === name ? inState(p, state) : p);
  }

  /**
   * One action call. With `perName` (what the shell always asks), unknown
   * names become BAD_NAME results first and the rest is acted on, as the
   * real port answers; without it an unknown name fails the whole call.
   */
  async #act(
    method: Method,
    names: readonly string[],
    options: ActionOptions,
    act: (p: ProcessInfo) => ActionResult,
    extra: unknown[] = [],
  ): Promise<ActionResult[]> {
    const args = [...extra, names, ...flagArgs(options)];
    this.#record(method, args);
    this.options.push(options);
    if (this.answers[method] !== undefined) return this.#answer(method, args, () => []);
    const unknown = options.perName ? names.filter((n) => !this.#knows(n)) : [];
    const known = names.filter((n) => !unknown.includes(n));
    const targets = known.length > 0 || !options.perName ? this.#targets(known) : [];
    if (this.actionDelayMs > 0) await new Promise((r) => setTimeout(r, this.actionDelayMs));
    return [...unknown.map(badName), ...targets.map(act)];
  }

  status(names?: readonly string[]): Promise<ProcessInfo[]> {
    return Promise.resolve().then(() => {
      this.#record("status", [names]);
      return this.#answer("status", [names], () => this.#targets(names));
    });
  }

  start(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    return this.#act("start", names, options, (p) => {
      if (p.state === "RUNNING") {
        return {
          name: p.name,
          ok: false,
          error: { code: "ALREADY_STARTED", message: "already started" },
        };
      }
      this.#setState(p.name, "RUNNING");
      return { name: p.name, ok: true };
    });
  }

  stop(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    return this.#act("stop", names, options, (p) => {
      if (p.state !== "RUNNING") {
        return { name: p.name, ok: false, error: { code: "NOT_RUNNING", message: "not running" } };
      }
      this.#setState(p.name, "STOPPED");
      return { name: p.name, ok: true };
    });
  }

  /**
   * A running instance is stopped first (`steps`), a stopped one only
   * started; canned results without `steps` get them the same way.
   */
  async restart(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    const running = new Set(this.processes.filter((p) => p.pid !== null).map((p) => p.name));
    const results = await this.#act("restart", names, options, (p) => {
      this.#setState(p.name, "RUNNING");
      return { name: p.name, ok: true };
    });
    return results.map((r): ActionResult =>
      r.steps !== undefined || r.error?.code === "BAD_NAME"
        ? r
        : { ...r, steps: running.has(r.name) ? ["stop", "start"] : ["start"] }
    );
  }

  /** A bad signal fails the whole call, or (`perName`) each target as given, `all` spelled out. */
  signal(
    signal: string,
    names: readonly string[],
    options: ActionOptions = {},
  ): Promise<ActionResult[]> {
    if (!this.badSignals.has(signal) && /^(SIG)?[A-Z0-9]+$/.test(signal)) {
      return this.#act("signal", names, options, (p) => ({ name: p.name, ok: true }), [signal]);
    }
    return Promise.resolve().then(() => {
      this.#record("signal", [signal, names, ...flagArgs(options)]);
      this.options.push(options);
      if (!options.perName) {
        throw new TaskmasterError("BAD_SIGNAL", `bad signal name: ${signal}`);
      }
      const targets = names.includes("all") ? this.processes.map((p) => p.name) : names;
      return targets.map((name): ActionResult => ({
        name,
        ok: false,
        error: { code: "BAD_SIGNAL", message: "bad signal name" },
      }));
    });
  }

  clear(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    return this.#act("clear", names, options, (p) => ({ name: p.name, ok: true }));
  }

  reload(): Promise<ReloadReport> {
    return Promise.resolve().then(() => {
      this.#record("reload", []);
      return this.#answer("reload", [], () => this.reloadReport);
    });
  }

  shutdown(): Promise<void> {
    return Promise.resolve().then(() => {
      this.#record("shutdown", []);
      this.shuttingDown = true;
    });
  }

  daemonPid(): Promise<number> {
    return Promise.resolve().then(() => {
      this.#record("daemonPid", []);
      return this.#answer("daemonPid", [], () => 4242);
    });
  }

  version(): Promise<string> {
    return Promise.resolve().then(() => {
      this.#record("version", []);
      return this.#answer("version", [], () => "0.1.0");
    });
  }

  /** `web:0 stdout line 1 é` …; NO_FILE when the instance has no such file. */
  tail(name: string, stream: StreamName, lines: number): Promise<string> {
    return Promise.resolve().then(() => {
      const args = [name, stream, lines];
      this.#record("tail", args);
      this.#targets([name]); // BAD_NAME even when the text is canned
      return this.#answer("tail", args, () => {
        const p = this.#withFile(name, stream);
        return Array.from({ length: lines }, (_, i) => `${p.name} ${stream} line ${i + 1} é\n`)
          .join("");
      });
    });
  }

  #withFile(name: string, stream: StreamName): ProcessInfo {
    const p = this.#one(name);
    if (p[stream] === null) throw new TaskmasterError("NO_FILE", `${p.name} has no ${stream} file`);
    return p;
  }

  /** Live at once (an empty chunk, as the real port says), then canned chunks and pushes. */
  follow(
    name: string,
    stream: StreamName,
    signal: AbortSignal,
  ): Promise<AsyncIterable<Uint8Array>> {
    return Promise.resolve().then(() => {
      this.#record("follow", [name, stream]);
      this.#withFile(name, stream);
      this.onFollow?.(name, stream);
      const encoder = new TextEncoder();
      const canned = (this.followChunks[`${name}/${stream}`] ?? []).map((c) => encoder.encode(c));
      return this.outputFeed.iterate(signal, [new Uint8Array(0), ...canned]);
    });
  }

  logTail(lines: number): Promise<string> {
    return Promise.resolve().then(() => {
      this.#record("logTail", [lines]);
      return this.#answer(
        "logTail",
        [lines],
        () => Array.from({ length: lines }, (_, i) => `log ${i + 1}\n`).join(""),
      );
    });
  }

  logFollow(signal: AbortSignal): Promise<AsyncIterable<string>> {
    return Promise.resolve().then(() => {
      this.#record("logFollow", []);
      this.onFollow?.("", "stdout");
      return this.logFeed.iterate(signal, this.logLines);
    });
  }

  /** NOT_RUNNING unless the instance runs. */
  sendStdin(name: string, data: Uint8Array): Promise<void> {
    return Promise.resolve().then(() => {
      this.#record("sendStdin", [name, data]);
      const p = this.#one(name);
      if (p.state !== "RUNNING") {
        throw new TaskmasterError("NOT_RUNNING", `${p.name} is not running`);
      }
      this.stdin.push({ name: p.name, data });
    });
  }

  events(signal: AbortSignal): Promise<AsyncIterable<StateChange>> {
    return Promise.resolve().then(() => {
      this.#record("events", []);
      return this.eventFeed.iterate(signal);
    });
  }

  why(name: string): Promise<string> {
    return Promise.resolve().then(() => {
      this.#record("why", [name]);
      return this.#answer("why", [name], () => `${name} is RUNNING (pid 42).`);
    });
  }
}

/** A TextOutput that keeps what was written. */
export class CapturedOutput implements TextOutput {
  stdout = "";
  stderr = "";
  out(text: string): void {
    this.stdout += text;
  }
  err(text: string): void {
    this.stderr += text;
  }
}
