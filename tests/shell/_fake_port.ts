/**
 * A scriptable {@link SupervisorPort} for shell tests: it records every call,
 * answers `status` from a list of processes (BAD_NAME for unknown names, as
 * the real supervisor does), and returns canned results or throws canned
 * errors per method.
 */

import {
  type ActionOptions,
  type ActionResult,
  type ProcessInfo,
  type ReloadReport,
  type StateChange,
  type StreamName,
  type SupervisorPort,
} from "../../src/api/protocol.ts";
import { type ProcessState } from "../../src/process/state.ts";
import { TaskmasterError } from "../../src/util/errors.ts";
import type { TextOutput } from "../../src/util/text_output.ts";

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
    stderr: null,
    ...extra,
  };
}

type Method = keyof SupervisorPort;

const ok = (name: string): ActionResult => ({ name, ok: true });

export interface Call {
  method: Method;
  args: unknown[];
}

/** Waits until `signal` aborts (immediately if it already has). */
function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}

export class FakePort implements SupervisorPort {
  readonly calls: Call[] = [];
  processes: ProcessInfo[];
  /** Canned return values, by method (a function gets the call's arguments). */
  answers: Partial<Record<Method, unknown>> = {};
  /** Errors to throw, by method. */
  errors: Partial<Record<Method, Error>> = {};
  /** Chunks `follow` yields before it waits for the abort. */
  followChunks: Record<string, string[]> = {};
  /** Lines `logFollow` yields before it waits for the abort. */
  logLines: string[] = [];
  /** Text written by sendStdin, by instance. */
  readonly stdin: Array<{ name: string; text: string }> = [];
  /** The options of every action call, in order. */
  readonly options: ActionOptions[] = [];
  /** Signal names the port rejects (BAD_SIGNAL). */
  readonly badSignals = new Set<string>();
  /** Called when a follow starts (lets a test abort at the right time). */
  onFollow?: (name: string, stream: StreamName) => void;

  constructor(processes: ProcessInfo[] = []) {
    this.processes = processes;
  }

  /** The calls of one method, arguments only. */
  callsOf(method: Method): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  #record(method: Method, args: unknown[]): void {
    this.calls.push({ method, args });
    const error = this.errors[method];
    if (error) throw error;
  }

  #answer<T>(method: Method, args: unknown[], fallback: () => T): T {
    const canned = this.answers[method];
    if (canned === undefined) return fallback();
    return (typeof canned === "function" ? canned(...args) : canned) as T;
  }

  #targets(names: readonly string[] | undefined): ProcessInfo[] {
    if (names === undefined || names.length === 0 || names.includes("all")) return this.processes;
    const found: ProcessInfo[] = [];
    for (const name of names) {
      const matches = this.processes.filter((p) => p.name === name || p.program === name);
      if (matches.length === 0) {
        throw new TaskmasterError("BAD_NAME", `No such process or program "${name}"`);
      }
      for (const p of matches) if (!found.includes(p)) found.push(p);
    }
    return found;
  }

  /**
   * One action call. With `perName` (what the shell always asks), unknown
   * names become BAD_NAME results first and the rest is acted on, as the
   * real port answers; canned answers stand for the whole call. `noDeps` is
   * recorded after the names.
   */
  #act(
    method: Method,
    names: readonly string[],
    options: ActionOptions = {},
    extra: unknown[] = [],
  ): ActionResult[] {
    const args = [...extra, names, ...(options.noDeps ? [{ noDeps: true }] : [])];
    this.#record(method, args);
    this.options.push(options);
    return this.#answer(method, args, () => {
      if (!options.perName) return this.#targets(names).map((p) => ok(p.name));
      const known = names.filter((name) => this.#knows(name));
      return [
        ...names.filter((name) => !known.includes(name)).map((name): ActionResult => ({
          name,
          ok: false,
          error: { code: "BAD_NAME", message: `no such process: ${name}` },
        })),
        ...(known.length > 0 ? this.#targets(known).map((p) => ok(p.name)) : []),
      ];
    });
  }

  #knows(name: string): boolean {
    try {
      this.#targets([name]);
      return true;
    } catch {
      return false;
    }
  }

  status(names?: readonly string[]): Promise<ProcessInfo[]> {
    return Promise.resolve().then(() => {
      this.#record("status", [names]);
      return this.#answer("status", [names], () => this.#targets(names));
    });
  }
  start(names: readonly string[], options?: ActionOptions): Promise<ActionResult[]> {
    return Promise.resolve().then(() => this.#act("start", names, options));
  }
  stop(names: readonly string[], options?: ActionOptions): Promise<ActionResult[]> {
    return Promise.resolve().then(() => this.#act("stop", names, options));
  }
  /** Results without `steps` get them from the processes: running ones are stopped first. */
  restart(names: readonly string[], options?: ActionOptions): Promise<ActionResult[]> {
    return Promise.resolve().then(() =>
      this.#act("restart", names, options).map((r): ActionResult => {
        if (r.steps !== undefined || r.error?.code === "BAD_NAME") return r;
        const running = this.processes.some((p) => p.name === r.name && p.pid !== null);
        return { ...r, steps: running ? ["stop", "start"] : ["start"] };
      })
    );
  }
  /** A signal in `badSignals` fails for each target, as the real port answers per name. */
  signal(
    signal: string,
    names: readonly string[],
    options?: ActionOptions,
  ): Promise<ActionResult[]> {
    return Promise.resolve().then(() => {
      if (!this.badSignals.has(signal)) return this.#act("signal", names, options, [signal]);
      this.#record("signal", [signal, names]);
      const targets = names.includes("all") ? this.processes.map((p) => p.name) : names;
      return targets.map((name): ActionResult => ({
        name,
        ok: false,
        error: { code: "BAD_SIGNAL", message: "bad signal name" },
      }));
    });
  }
  clear(names: readonly string[], options?: ActionOptions): Promise<ActionResult[]> {
    return Promise.resolve().then(() => this.#act("clear", names, options));
  }
  reload(): Promise<ReloadReport> {
    return Promise.resolve().then(() => {
      this.#record("reload", []);
      return this.#answer("reload", [], () => ({
        added: [],
        changed: [],
        updated: [],
        removed: [],
        unchanged: [],
      }));
    });
  }
  shutdown(): Promise<void> {
    return Promise.resolve().then(() => this.#record("shutdown", []));
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
  tail(name: string, stream: StreamName, lines: number): Promise<string> {
    return Promise.resolve().then(() => {
      this.#record("tail", [name, stream, lines]);
      this.#targets([name]);
      return this.#answer("tail", [name, stream, lines], () => `last ${lines} of ${stream}\n`);
    });
  }
  follow(
    name: string,
    stream: StreamName,
    signal: AbortSignal,
  ): Promise<AsyncIterable<Uint8Array>> {
    return Promise.resolve().then(() => {
      this.#record("follow", [name, stream]);
      this.onFollow?.(name, stream);
      return this.#followChunks(name, stream, signal);
    });
  }
  async *#followChunks(
    name: string,
    stream: StreamName,
    signal: AbortSignal,
  ): AsyncGenerator<Uint8Array> {
    const encoder = new TextEncoder();
    yield new Uint8Array(0); // live, as a real port says
    for (const chunk of this.followChunks[`${name}/${stream}`] ?? []) yield encoder.encode(chunk);
    await whenAborted(signal);
  }
  logTail(lines: number): Promise<string> {
    return Promise.resolve().then(() => {
      this.#record("logTail", [lines]);
      return this.#answer("logTail", [lines], () => `log line\n`);
    });
  }
  logFollow(signal: AbortSignal): Promise<AsyncIterable<string>> {
    return Promise.resolve().then(() => {
      this.#record("logFollow", []);
      this.onFollow?.("", "stdout");
      return this.#logLines(signal);
    });
  }
  async *#logLines(signal: AbortSignal): AsyncGenerator<string> {
    for (const line of this.logLines) yield line;
    await whenAborted(signal);
  }
  sendStdin(name: string, data: Uint8Array): Promise<void> {
    return Promise.resolve().then(() => {
      const text = new TextDecoder().decode(data);
      this.#record("sendStdin", [name, text]);
      this.stdin.push({ name, text });
    });
  }
  events(signal: AbortSignal): Promise<AsyncIterable<StateChange>> {
    return Promise.resolve().then(() => {
      this.#record("events", []);
      return this.#events(signal);
    });
  }
  async *#events(signal: AbortSignal): AsyncGenerator<StateChange> {
    for (const change of (this.answers.events ?? []) as StateChange[]) yield change;
    await whenAborted(signal);
  }

  why(name: string): Promise<string> {
    this.#record("why", [name]);
    return Promise.resolve(`${name} is RUNNING (pid 42).`);
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
