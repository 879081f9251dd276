/**
 * supervisord 4.2.5's XML-RPC interface (`supervisor.*` and `system.*`)
 * over taskmaster's supervisor: argument order, return shapes, fault codes
 * and strings as in supervisor's rpcinterface.py, which is the reference.
 * A taskmaster program is a supervisord group; its instances are the
 * group's processes (`web`, or `0`, `1`… shown as `web:0`).
 *
 * @module
 */

import { type ActionResult } from "../api/protocol.ts";
import { type ErrorCode, TaskmasterError } from "../util/errors.ts";
import type { SupervisorPort } from "../api/protocol.ts";
import { diffConfigs } from "../config/diff.ts";
import { samePool } from "../config/eventlisteners.ts";
import type { EventListenerConfig, ProgramConfig, TaskmasterConfig } from "../config/types.ts";
import type { ProcessRunner } from "../process/runner.ts";
import { resolveCommand } from "../process/spawner.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";
import { VERSION } from "../version.ts";
import type { RpcValue } from "./codec.ts";
import { type FaultName, Faults, RpcFault } from "./faults.ts";
import { readLogFile, tailLogFile } from "./log_read.ts";
import { METHOD_DOCS } from "./method_docs.ts";
import {
  makeNamespec,
  processName,
  processStruct,
  RUNNING_CODES,
  SIGNALLABLE_CODES,
  splitNamespec,
  stateCode,
} from "./process_view.ts";

/** supervisorctl refuses any other API version. */
export const API_VERSION = "3.0";

/** What the interface needs from the daemon. */
export interface RpcBackend {
  readonly supervisor: Supervisor;
  /** clear, sendStdin and shutdown go through the daemon's port. */
  readonly port: Pick<SupervisorPort, "clear" | "sendStdin" | "shutdown">;
  /** The event log (supervisord's main log). */
  mainLogPath(): string;
  /** Reads and validates the config file again, without applying it. */
  loadConfig(): Promise<{ ok: true; config: TaskmasterConfig } | { ok: false; errors: string[] }>;
  /** Applies a config (used by add/removeProcessGroup). */
  applyConfig(next: TaskmasterConfig): Promise<unknown>;
  /** supervisord's `restart`: stop everything, re-read the config, start again. */
  restart(): Promise<void>;
  /** `sendRemoteCommEvent`, when event listeners exist. */
  remoteCommEvent?(type: string, data: string): void;
  /** Epoch ms. */
  now?(): number;
  /** Groups the supervisor does not hold (event listener pools): shown and controlled too. */
  extraGroups?(): Group[];
  /** The event listener pools, so reread/update/add/remove apply to them as to programs. */
  readonly pools?: {
    configs(): ReadonlyMap<string, EventListenerConfig>;
    reconfigure(next: ReadonlyMap<string, EventListenerConfig>): Promise<unknown>;
  };
}

type Method = (params: RpcValue[]) => Promise<RpcValue> | RpcValue;

/** Linux signal numbers, for `signal 15`. */
const SIGNAL_NAMES: Readonly<Record<number, Deno.Signal>> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  5: "SIGTRAP",
  6: "SIGABRT",
  7: "SIGBUS",
  8: "SIGFPE",
  9: "SIGKILL",
  10: "SIGUSR1",
  11: "SIGSEGV",
  12: "SIGUSR2",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
  16: "SIGSTKFLT",
  17: "SIGCHLD",
  18: "SIGCONT",
  19: "SIGSTOP",
  20: "SIGTSTP",
  21: "SIGTTIN",
  22: "SIGTTOU",
  23: "SIGURG",
  24: "SIGXCPU",
  25: "SIGXFSZ",
  26: "SIGVTALRM",
  27: "SIGPROF",
  28: "SIGWINCH",
  29: "SIGIO",
  30: "SIGPWR",
  31: "SIGSYS",
};

/** supervisor's `signal_number`: a number or a name with or without SIG. */
export function supervisordSignal(value: string): Deno.Signal | undefined {
  const trimmed = value.trim();
  if (/^-?\d+$/.test(trimmed)) return SIGNAL_NAMES[Number(trimmed)];
  const upper = trimmed.toUpperCase();
  const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  if (name === "SIGIOT") return "SIGABRT";
  if (name === "SIGPOLL") return "SIGIO";
  return Object.values(SIGNAL_NAMES).find((s) => s === name);
}

const FAULT_OF_CODE: Partial<Record<ErrorCode, FaultName>> = {
  BAD_NAME: "BAD_NAME",
  BAD_SIGNAL: "BAD_SIGNAL",
  ALREADY_STARTED: "ALREADY_STARTED",
  NOT_RUNNING: "NOT_RUNNING",
  SPAWN_ERROR: "SPAWN_ERROR",
  ABNORMAL_TERMINATION: "ABNORMAL_TERMINATION",
  SHUTTING_DOWN: "SHUTDOWN_STATE",
  NO_FILE: "NO_FILE",
};

/** A supervisord process group: a program, or an event listener pool. */
export interface Group {
  readonly name: string;
  readonly config: ProgramConfig;
  readonly runners: ProcessRunner[];
}

/** The `supervisor` and `system` namespaces. */
export class SupervisorRpc {
  readonly #b: RpcBackend;
  /** The config read by the last reloadConfig, not yet applied (supervisord's options). */
  #staged: TaskmasterConfig | null = null;
  readonly #methods = new Map<string, Method>();

  constructor(backend: RpcBackend) {
    this.#b = backend;
    const sup = (name: string, method: Method) => {
      this.#methods.set(`supervisor.${name}`, (params) => {
        this.#update();
        return method(params);
      });
    };
    const version = () => API_VERSION;
    sup("getAPIVersion", version);
    sup("getVersion", version);
    sup("getSupervisorVersion", () => VERSION);
    sup("getIdentification", () => "supervisor");
    sup("getState", () => ({ statecode: 1, statename: "RUNNING" }));
    sup("getPID", () => Deno.pid);
    const readLog = (p: RpcValue[]) => this.#readMainLog(int(p, 0), int(p, 1));
    sup("readLog", readLog);
    sup("readMainLog", readLog);
    sup("clearLog", () => this.#clearMainLog());
    sup("shutdown", () => {
      // Answered first; the daemon then stops everything and exits.
      setTimeout(() => this.#b.port.shutdown().catch(() => {}), 0);
      return true;
    });
    sup("restart", () => {
      setTimeout(() => this.#b.restart().catch(() => {}), 0);
      return true;
    });
    sup("reloadConfig", () => this.#reloadConfig());
    sup("addProcessGroup", (p) => this.#addProcessGroup(str(p, 0)));
    sup("removeProcessGroup", (p) => this.#removeProcessGroup(str(p, 0)));
    sup("startProcess", (p) => this.#startProcess(str(p, 0), bool(p, 1, true)));
    sup("startProcessGroup", (p) => this.#startGroup(str(p, 0), bool(p, 1, true)));
    sup("startAllProcesses", (p) => this.#startMany(this.#allByPriority(), bool(p, 0, true)));
    sup("stopProcess", (p) => this.#stopProcess(str(p, 0), bool(p, 1, true)));
    sup("stopProcessGroup", (p) => this.#stopGroup(str(p, 0), bool(p, 1, true)));
    sup("stopAllProcesses", (p) => this.#stopMany(this.#allByPriority(), bool(p, 0, true)));
    sup("signalProcess", (p) => this.#signalProcess(str(p, 0), anyStr(p, 1)));
    sup("signalProcessGroup", (p) => this.#signalGroup(str(p, 0), anyStr(p, 1)));
    sup("signalAllProcesses", (p) => this.#signalMany(this.#allByPriority(), anyStr(p, 0)));
    sup("getProcessInfo", (p) => this.#processInfo(str(p, 0)));
    sup("getAllProcessInfo", () => this.#allProcessInfo());
    sup("getAllConfigInfo", () => this.#allConfigInfo());
    const readOut = (p: RpcValue[]) =>
      this.#readProcessLog(str(p, 0), int(p, 1), int(p, 2), "stdout");
    sup("readProcessStdoutLog", readOut);
    sup("readProcessLog", readOut);
    sup(
      "readProcessStderrLog",
      (p) => this.#readProcessLog(str(p, 0), int(p, 1), int(p, 2), "stderr"),
    );
    const tailOut = (p: RpcValue[]) =>
      this.#tailProcessLog(str(p, 0), int(p, 1), int(p, 2), "stdout");
    sup("tailProcessStdoutLog", tailOut);
    sup("tailProcessLog", tailOut);
    sup(
      "tailProcessStderrLog",
      (p) => this.#tailProcessLog(str(p, 0), int(p, 1), int(p, 2), "stderr"),
    );
    sup("clearProcessLogs", (p) => this.#clearProcessLogs(str(p, 0)));
    sup("clearProcessLog", (p) => this.#clearProcessLogs(str(p, 0)));
    sup("clearAllProcessLogs", () => this.#clearAll());
    sup("sendProcessStdin", (p) => this.#sendStdin(str(p, 0), p[1]));
    sup("sendRemoteCommEvent", (p) => {
      this.#b.remoteCommEvent?.(anyStr(p, 0), anyStr(p, 1));
      return true;
    });
    this.#methods.set("system.listMethods", () => Object.keys(METHOD_DOCS).sort());
    this.#methods.set("system.methodHelp", (p) => {
      const doc = METHOD_DOCS[str(p, 0)];
      if (doc === undefined) throw new RpcFault("SIGNATURE_UNSUPPORTED");
      return doc.doc;
    });
    this.#methods.set("system.methodSignature", (p) => {
      const doc = METHOD_DOCS[str(p, 0)];
      if (doc === undefined) throw new RpcFault("SIGNATURE_UNSUPPORTED");
      return [...doc.signature];
    });
    this.#methods.set("system.multicall", (p) => this.#multicall(p));
  }

  /** Calls one method; rejects with an RpcFault for every supervisord fault. */
  async call(method: string, params: RpcValue[]): Promise<RpcValue> {
    const fn = this.#methods.get(method);
    if (fn === undefined) throw new RpcFault("UNKNOWN_METHOD");
    try {
      return await fn(params);
    } catch (error) {
      if (error instanceof RpcFault) throw error;
      if (error instanceof TaskmasterError) {
        throw new RpcFault(FAULT_OF_CODE[error.code] ?? "FAILED", error.message);
      }
      throw error;
    }
  }

  /** The log file of a process spec and stream (for /logtail), or null. */
  logPath(spec: string, stream: "stdout" | "stderr"): string | null {
    try {
      return this.#process(spec).info()[stream];
    } catch {
      return null;
    }
  }

  // supervisord answers SHUTDOWN_STATE to every supervisor.* call once it is stopping.
  #update(): void {
    if (this.#b.supervisor.shuttingDown) throw new RpcFault("SHUTDOWN_STATE");
  }

  #now(): number {
    return this.#b.now?.() ?? Date.now();
  }

  #groups(): Group[] {
    const config = this.#b.supervisor.config;
    return [
      ...[...config.programs.values()].map((p) => ({
        name: p.name,
        config: p,
        runners: this.#b.supervisor.resolve([p.name]).filter((r) => r.program === p.name)
          .sort((a, b) => a.index - b.index),
      })),
      ...this.#b.extraGroups?.() ?? [],
    ];
  }

  /** Whether the supervisor holds this runner (else it belongs to a listener pool). */
  #supervised(runner: ProcessRunner): boolean {
    return this.#b.supervisor.config.programs.has(runner.program);
  }

  /** supervisor.start for its own runners; the same waiting rules for a pool's. */
  async #startRunner(runner: ProcessRunner): Promise<ActionResult> {
    if (this.#supervised(runner)) {
      return (await this.#b.supervisor.start([runner.name]))[0] ?? { name: runner.name, ok: true };
    }
    const result = runner.dispatch({ kind: "start" });
    if (result.rejected !== undefined) {
      return {
        name: runner.name,
        ok: false,
        error: { code: result.rejected, message: runner.name },
      };
    }
    const snap = await runner.waitFor((x) => x.state !== "STARTING");
    if (snap.state === "RUNNING") return { name: runner.name, ok: true };
    const code = snap.spawnerr !== null ? "SPAWN_ERROR" : "ABNORMAL_TERMINATION";
    return { name: runner.name, ok: false, error: { code, message: runner.name } };
  }

  async #stopRunners(runners: ProcessRunner[]): Promise<ActionResult[]> {
    const own = runners.filter((r) => this.#supervised(r));
    const ownResults = own.length === 0
      ? []
      : await this.#b.supervisor.stop(own.map((r) => r.name));
    const results = new Map(own.map((r, i) => [r, ownResults[i]!]));
    await Promise.all(
      runners.filter((r) => !this.#supervised(r)).map(async (r) => {
        if (r.dispatch({ kind: "stop" }).rejected !== undefined) {
          results.set(r, {
            name: r.name,
            ok: false,
            error: { code: "NOT_RUNNING", message: r.name },
          });
          return;
        }
        await r.waitFor((x) => x.state !== "STOPPING");
        results.set(r, { name: r.name, ok: true });
      }),
    );
    return runners.map((r) => results.get(r) ?? { name: r.name, ok: true });
  }

  #group(name: string): Group {
    const group = this.#groups().find((g) => g.name === name);
    if (group === undefined) throw new RpcFault("BAD_NAME", name);
    return group;
  }

  /** supervisor's `_getGroupAndProcess`. */
  #groupAndProcess(spec: string): { group: Group; runner: ProcessRunner | null } {
    const [groupName, procName] = splitNamespec(spec);
    const group = this.#groups().find((g) => g.name === groupName);
    if (group === undefined) throw new RpcFault("BAD_NAME", spec);
    if (procName === null) return { group, runner: null };
    const runner = group.runners.find((r) => processName(r.info()) === procName);
    if (runner === undefined) throw new RpcFault("BAD_NAME", spec);
    return { group, runner };
  }

  #process(spec: string): ProcessRunner {
    const { runner } = this.#groupAndProcess(spec);
    if (runner === null) throw new RpcFault("BAD_NAME", spec);
    return runner;
  }

  /** Groups by priority then name, processes by priority (supervisor's default order). */
  #allByPriority(): ProcessRunner[] {
    return this.#groups()
      .sort((a, b) => a.config.priority - b.config.priority || cmp(a.name, b.name))
      .flatMap((g) => g.runners);
  }

  #spec(runner: ProcessRunner): string {
    return makeNamespec(runner.program, processName(runner.info()));
  }

  #struct(runner: ProcessRunner): Record<string, RpcValue> {
    const snap = runner.snapshot;
    return processStruct(
      { info: runner.info(), tooQuick: snap.tooQuick, expected: snap.expected },
      this.#now(),
    );
  }

  #processInfo(spec: string): RpcValue {
    return this.#struct(this.#process(spec));
  }

  #allProcessInfo(): RpcValue {
    return this.#groups()
      .sort((a, b) => cmp(a.name, b.name))
      .flatMap((g) =>
        [...g.runners].sort((a, b) => cmp(processName(a.info()), processName(b.info())))
      )
      .map((r) => this.#struct(r));
  }

  // ---- start / stop / signal -------------------------------------------------

  /** NO_FILE / NOT_EXECUTABLE before trying, as supervisord's get_execv_args check. */
  #checkCommand(runner: ProcessRunner): void {
    const cfg = runner.config;
    const program = cfg.argv[0] ?? "";
    const resolved = resolveCommand(program, cfg.env.PATH ?? Deno.env.get("PATH") ?? "");
    if (resolved.ok) return;
    throw new RpcFault(
      /can't find command/.test(resolved.reason) ? "NO_FILE" : "NOT_EXECUTABLE",
      resolved.reason,
    );
  }

  async #startProcess(spec: string, wait: boolean): Promise<RpcValue> {
    const { group, runner } = this.#groupAndProcess(spec);
    if (runner === null) return await this.#startGroup(group.name, wait);
    this.#checkCommand(runner);
    if (RUNNING_CODES.has(stateCode(runner.state))) throw new RpcFault("ALREADY_STARTED", spec);
    const started = this.#startRunner(runner);
    if (!wait) {
      started.catch(() => {});
      return true;
    }
    const result = await started;
    if (result === undefined || result.ok) return true;
    // supervisord records "Exited too quickly" as a spawnerr: a failed start is SPAWN_ERROR.
    if (result.error?.code === "ABNORMAL_TERMINATION" && runner.snapshot.tooQuick) {
      throw new RpcFault("SPAWN_ERROR", spec);
    }
    throw faultOf(result, spec);
  }

  async #stopProcess(spec: string, wait: boolean): Promise<RpcValue> {
    const { group, runner } = this.#groupAndProcess(spec);
    if (runner === null) return await this.#stopGroup(group.name, wait);
    if (!RUNNING_CODES.has(stateCode(runner.state))) throw new RpcFault("NOT_RUNNING", spec);
    const stopped = this.#stopRunners([runner]);
    if (!wait) {
      stopped.catch(() => {});
      return true;
    }
    const [result] = await stopped;
    if (result === undefined || result.ok) return true;
    throw faultOf(result, spec);
  }

  #startGroup(name: string, wait: boolean): Promise<RpcValue> {
    return this.#startMany(this.#group(name).runners, wait);
  }

  #stopGroup(name: string, wait: boolean): Promise<RpcValue> {
    return this.#stopMany(this.#group(name).runners, wait);
  }

  /** supervisor's make_allfunc over startProcess: immediate faults first, then the rest. */
  async #startMany(runners: ProcessRunner[], wait: boolean): Promise<RpcValue> {
    const targets = runners.filter((r) => !RUNNING_CODES.has(stateCode(r.state)));
    const early: RpcValue[] = [];
    const pending: { runner: ProcessRunner; result: Promise<RpcValue> }[] = [];
    for (const runner of targets) {
      try {
        this.#checkCommand(runner);
      } catch (error) {
        early.push(resultStruct(runner, error as RpcFault));
        continue;
      }
      pending.push({
        runner,
        result: this.#startProcess(this.#spec(runner), wait).then(
          () => resultStruct(runner, null),
          (error) => resultStruct(runner, asFault(error)),
        ),
      });
    }
    // In completion order, as supervisord's polling appends them.
    const results: RpcValue[] = [...early];
    await Promise.all(pending.map((p) => p.result.then((r) => results.push(r))));
    return results;
  }

  async #stopMany(runners: ProcessRunner[], wait: boolean): Promise<RpcValue> {
    const targets = runners.filter((r) => RUNNING_CODES.has(stateCode(r.state)));
    if (targets.length === 0) return [];
    const stopping = this.#stopRunners(targets);
    if (!wait) {
      stopping.catch(() => {});
      return targets.map((r) => resultStruct(r, null));
    }
    const results = await stopping;
    return targets.map((r, i) => {
      const result = results[i];
      return resultStruct(
        r,
        result === undefined || result.ok ? null : faultOf(result, this.#spec(r)),
      );
    });
  }

  #signalProcess(spec: string, signal: string): RpcValue {
    const { group, runner } = this.#groupAndProcess(spec);
    if (runner === null) return this.#signalGroup(group.name, signal);
    const sig = supervisordSignal(signal);
    if (sig === undefined) throw new RpcFault("BAD_SIGNAL", signal);
    const pid = runner.snapshot.pid;
    if (!SIGNALLABLE_CODES.has(stateCode(runner.state)) || pid === null) {
      throw new RpcFault("NOT_RUNNING", spec);
    }
    const failed = runner.signalProcess(sig);
    if (failed !== null) {
      throw new RpcFault("FAILED", `failed to send ${sig} to ${spec}: ${failed}`);
    }
    return true;
  }

  #signalGroup(name: string, signal: string): RpcValue {
    return this.#signalMany(this.#group(name).runners, signal);
  }

  #signalMany(runners: ProcessRunner[], signal: string): RpcValue {
    return runners
      .filter((r) => SIGNALLABLE_CODES.has(stateCode(r.state)))
      .map((r) => {
        try {
          this.#signalProcess(this.#spec(r), signal);
          return resultStruct(r, null);
        } catch (error) {
          return resultStruct(r, asFault(error));
        }
      });
  }

  // ---- logs ------------------------------------------------------------------

  async #readMainLog(offset: number, length: number): Promise<RpcValue> {
    const path = this.#b.mainLogPath();
    if (!(await exists(path))) throw new RpcFault("NO_FILE", path);
    return await readLogFile(path, offset, length);
  }

  async #clearMainLog(): Promise<RpcValue> {
    const path = this.#b.mainLogPath();
    if (!(await exists(path))) throw new RpcFault("NO_FILE");
    try {
      await Deno.truncate(path, 0);
    } catch {
      throw new RpcFault("FAILED");
    }
    return true;
  }

  async #readProcessLog(
    spec: string,
    offset: number,
    length: number,
    stream: "stdout" | "stderr",
  ): Promise<RpcValue> {
    const path = this.#process(spec).info()[stream];
    if (path === null || !(await exists(path))) throw new RpcFault("NO_FILE", path);
    return await readLogFile(path, offset, length);
  }

  async #tailProcessLog(
    spec: string,
    offset: number,
    length: number,
    stream: "stdout" | "stderr",
  ): Promise<RpcValue> {
    const path = this.#process(spec).info()[stream];
    if (path === null || !(await exists(path))) return ["", 0, false];
    return await tailLogFile(path, offset, length);
  }

  async #clearProcessLogs(spec: string): Promise<RpcValue> {
    const runner = this.#process(spec);
    const [result] = await this.#b.port.clear([runner.name]);
    if (result !== undefined && !result.ok) throw new RpcFault("FAILED", spec);
    return true;
  }

  async #clearAll(): Promise<RpcValue> {
    const out: RpcValue[] = [];
    for (const runner of this.#allByPriority()) {
      try {
        await this.#clearProcessLogs(this.#spec(runner));
        out.push(resultStruct(runner, null));
      } catch (error) {
        out.push(resultStruct(runner, asFault(error)));
      }
    }
    return out;
  }

  async #sendStdin(spec: string, chars: RpcValue | undefined): Promise<RpcValue> {
    if (typeof chars !== "string") throw new RpcFault("INCORRECT_PARAMETERS", String(chars));
    const runner = this.#process(spec);
    if (runner.snapshot.pid === null || runner.state === "STOPPING") {
      throw new RpcFault("NOT_RUNNING", spec);
    }
    try {
      await this.#b.port.sendStdin(runner.name, new TextEncoder().encode(chars));
    } catch (error) {
      if (error instanceof TaskmasterError && error.code === "NOT_RUNNING") {
        throw new RpcFault("NOT_RUNNING", spec);
      }
      throw new RpcFault("NO_FILE", spec);
    }
    return true;
  }

  // ---- reread / update -------------------------------------------------------

  async #reloadConfig(): Promise<RpcValue> {
    const loaded = await this.#b.loadConfig();
    if (!loaded.ok) throw new RpcFault("CANT_REREAD", loaded.errors.join("; "));
    this.#staged = loaded.config;
    const added: string[] = [];
    const changed: string[] = [];
    const removed: string[] = [];
    for (const change of diffConfigs(this.#b.supervisor.config, loaded.config)) {
      if (change.kind === "added") added.push(change.next.name);
      else if (change.kind === "removed") removed.push(change.prev.name);
      else if (change.kind === "changed" || change.kind === "updated") {
        changed.push(change.next.name);
      }
    }
    const activePools = this.#b.pools?.configs() ?? new Map();
    const stagedPools = loaded.config.eventlisteners ?? new Map();
    for (const [name, pool] of stagedPools) {
      const now = activePools.get(name);
      if (now === undefined) added.push(name);
      else if (!samePool(now, pool)) changed.push(name);
    }
    for (const name of activePools.keys()) if (!stagedPools.has(name)) removed.push(name);
    return [[added, changed, removed]];
  }

  async #addProcessGroup(name: string): Promise<RpcValue> {
    const staged = this.#staged ?? this.#b.supervisor.config;
    const pool = staged.eventlisteners?.get(name);
    if (pool !== undefined && this.#b.pools !== undefined) {
      const active = this.#b.pools.configs();
      if (active.has(name)) throw new RpcFault("ALREADY_ADDED", name);
      await this.#b.pools.reconfigure(new Map([...active, [name, pool]]));
      return true;
    }
    const config = staged.programs.get(name);
    if (config === undefined) throw new RpcFault("BAD_NAME", name);
    const active = this.#b.supervisor.config;
    if (active.programs.has(name)) throw new RpcFault("ALREADY_ADDED", name);
    const programs = new Map(active.programs);
    programs.set(name, config);
    await this.#b.applyConfig({ ...active, programs });
    return true;
  }

  async #removeProcessGroup(name: string): Promise<RpcValue> {
    const active = this.#b.supervisor.config;
    const pools = this.#b.pools?.configs();
    const isPool = pools?.has(name) ?? false;
    if (!active.programs.has(name) && !isPool) throw new RpcFault("BAD_NAME", name);
    const group = this.#group(name);
    if (
      group.runners.some((r) => RUNNING_CODES.has(stateCode(r.state)) || r.state === "STOPPING")
    ) {
      throw new RpcFault("STILL_RUNNING", name);
    }
    if (isPool) {
      await this.#b.pools!.reconfigure(new Map([...pools!].filter(([n]) => n !== name)));
      return true;
    }
    const programs = new Map(active.programs);
    programs.delete(name);
    await this.#b.applyConfig({ ...active, programs });
    return true;
  }

  #allConfigInfo(): RpcValue {
    const active = this.#b.supervisor.config;
    const source = this.#staged ?? active;
    const out: Record<string, RpcValue>[] = [];
    for (const p of source.programs.values()) {
      for (let i = 0; i < p.numprocs; i++) {
        const name = p.numprocs === 1 ? p.name : String(i);
        const path = (t: ProgramConfig["stdout"]["target"]) =>
          t.kind === "file" ? t.path : t.kind === "auto" ? "auto" : "none";
        out.push({
          autostart: p.autostart,
          directory: p.workingdir ?? "none",
          uid: p.user?.uid ?? "none",
          command: p.cmd,
          exitcodes: [...p.exitcodes],
          group: p.name,
          group_prio: p.priority,
          inuse: active.programs.has(p.name),
          killasgroup: true,
          name,
          process_prio: p.priority,
          redirect_stderr: p.stderr.target.kind === "file" && p.stdout.target.kind === "file" &&
            p.stderr.target.path === p.stdout.target.path,
          startretries: p.startretries,
          startsecs: p.starttime,
          stdout_capture_maxbytes: 0,
          stdout_events_enabled: p.stdoutEvents,
          stdout_logfile: path(p.stdout.target),
          stdout_logfile_backups: p.stdout.backups,
          stdout_logfile_maxbytes: p.stdout.maxBytes,
          stdout_syslog: false,
          stopsignal: signalNumber(p.stopsignal),
          stopwaitsecs: p.stoptime,
          stderr_capture_maxbytes: 0,
          stderr_events_enabled: p.stderrEvents,
          stderr_logfile: path(p.stderr.target),
          stderr_logfile_backups: p.stderr.backups,
          stderr_logfile_maxbytes: p.stderr.maxBytes,
          stderr_syslog: false,
          serverurl: "none",
        });
      }
    }
    return out.sort((a, b) => cmp(String(a.name), String(b.name)));
  }

  // ---- system.multicall ------------------------------------------------------

  async #multicall(params: RpcValue[]): Promise<RpcValue> {
    const calls = params[0];
    if (!Array.isArray(calls)) throw new RpcFault("INCORRECT_PARAMETERS");
    const results: RpcValue[] = [];
    // In order, one at a time, as supervisord runs them.
    for (const call of calls) {
      const c = (typeof call === "object" && call !== null && !Array.isArray(call))
        ? call as Record<string, RpcValue>
        : {};
      const name = c.methodName;
      const args = Array.isArray(c.params) ? c.params : [];
      try {
        if (typeof name !== "string") {
          throw new RpcFault("INCORRECT_PARAMETERS", "No methodName");
        }
        if (name === "system.multicall") {
          throw new RpcFault("INCORRECT_PARAMETERS", "Recursive system.multicall forbidden");
        }
        // supervisord's unwrapped shape: the bare value, not [value].
        results.push(await this.call(name, args));
      } catch (error) {
        const fault = error instanceof RpcFault
          ? error
          : new RpcFault("FAILED", `${(error as Error)?.name}:${(error as Error)?.message}`);
        results.push({ faultCode: fault.code, faultString: fault.text });
      }
    }
    return results;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function signalNumber(signal: Deno.Signal): number {
  const found = Object.entries(SIGNAL_NAMES).find(([, s]) => s === signal);
  return found === undefined ? 15 : Number(found[0]);
}

function faultOf(result: ActionResult, spec: string): RpcFault {
  const name = result.error === undefined ? "FAILED" : FAULT_OF_CODE[result.error.code] ?? "FAILED";
  // A start refused while stopping is supervisord's assertion failure: FAILED.
  return new RpcFault(name, name === "FAILED" ? result.error?.message ?? spec : spec);
}

function asFault(error: unknown): RpcFault {
  if (error instanceof RpcFault) return error;
  if (error instanceof TaskmasterError) {
    return new RpcFault(FAULT_OF_CODE[error.code] ?? "FAILED", error.message);
  }
  return new RpcFault("FAILED", (error as Error)?.message ?? String(error));
}

/** One entry of a group/all result: `{name, group, status, description}`. */
function resultStruct(runner: ProcessRunner, fault: RpcFault | null): RpcValue {
  return {
    name: processName(runner.info()),
    group: runner.program,
    status: fault === null ? Faults.SUCCESS : fault.code,
    description: fault === null ? "OK" : fault.text,
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

// Parameter coercion: a wrong type or count is supervisord's INCORRECT_PARAMETERS.
function str(params: RpcValue[], i: number): string {
  const v = params[i];
  if (typeof v !== "string") throw new RpcFault("INCORRECT_PARAMETERS");
  return v;
}

function anyStr(params: RpcValue[], i: number): string {
  const v = params[i];
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  throw new RpcFault("INCORRECT_PARAMETERS");
}

function int(params: RpcValue[], i: number): number {
  const v = params[i];
  if (typeof v === "number") return Math.trunc(v);
  if (typeof v === "string" && /^-?\d+$/.test(v.trim())) return Number(v);
  throw new RpcFault("INCORRECT_PARAMETERS");
}

function bool(params: RpcValue[], i: number, fallback: boolean): boolean {
  const v = params[i];
  if (v === undefined) return fallback;
  return Boolean(v);
}
