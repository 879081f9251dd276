/**
 * supervisord 4.2.5's XML-RPC interface (`supervisor.*` and `system.*`)
 * over taskmaster's supervisor: argument order, return shapes, fault codes
 * and strings as in supervisor's rpcinterface.py, which is the reference.
 * A taskmaster program is a supervisord group; its instances are the
 * group's processes (`web`, or `0`, `1`… shown as `web:0`).
 *
 * This module is the method table: it names each method, coerces its
 * parameters and hands it to its family (process_control.ts, log_methods.ts,
 * config_methods.ts); `system.multicall` runs calls back through it.
 *
 * @module
 */

import { TaskmasterError } from "../util/errors.ts";
import type { ProcessRunner } from "../process/runner.ts";
import { VERSION } from "../version.ts";
import type { RpcBackend } from "./backend.ts";
import type { RpcValue } from "./codec.ts";
import { ConfigMethods } from "./config_methods.ts";
import { faultOfError, RpcFault } from "./faults.ts";
import { byCodeUnit, RpcGroups } from "./groups.ts";
import { LogMethods } from "./log_methods.ts";
import { METHOD_DOCS } from "./method_docs.ts";
import { anyStr, bool, int, str } from "./params.ts";
import { ProcessControl } from "./process_control.ts";
import { processName, processStruct } from "./process_view.ts";

/** supervisorctl refuses any other API version. */
export const API_VERSION = "3.0";

type Method = (params: RpcValue[]) => Promise<RpcValue> | RpcValue;

/** The `supervisor` and `system` namespaces. */
export class SupervisorRpc {
  readonly #b: RpcBackend;
  readonly #groups: RpcGroups;
  readonly #methods = new Map<string, Method>();

  constructor(backend: RpcBackend) {
    this.#b = backend;
    const groups = this.#groups = new RpcGroups(backend);
    const control = new ProcessControl(backend, groups);
    const logs = new LogMethods(backend, groups);
    const config = new ConfigMethods(backend, groups);
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
    const readLog = (p: RpcValue[]) => logs.readMainLog(int(p, 0), int(p, 1));
    sup("readLog", readLog);
    sup("readMainLog", readLog);
    sup("clearLog", () => logs.clearMainLog());
    sup("shutdown", () => {
      // Answered first; the daemon then stops everything and exits.
      setTimeout(() => this.#b.port.shutdown().catch(() => {}), 0);
      return true;
    });
    sup("restart", () => {
      setTimeout(() => this.#b.restart().catch(() => {}), 0);
      return true;
    });
    sup("reloadConfig", () => config.reloadConfig());
    sup("addProcessGroup", (p) => config.addProcessGroup(str(p, 0)));
    sup("removeProcessGroup", (p) => config.removeProcessGroup(str(p, 0)));
    sup("startProcess", (p) => control.startProcess(str(p, 0), bool(p, 1, true)));
    sup("startProcessGroup", (p) => control.startGroup(str(p, 0), bool(p, 1, true)));
    sup("startAllProcesses", (p) => control.startMany(groups.allByPriority(), bool(p, 0, true)));
    sup("stopProcess", (p) => control.stopProcess(str(p, 0), bool(p, 1, true)));
    sup("stopProcessGroup", (p) => control.stopGroup(str(p, 0), bool(p, 1, true)));
    sup("stopAllProcesses", (p) => control.stopMany(groups.allByPriority(), bool(p, 0, true)));
    sup("signalProcess", (p) => control.signalProcess(str(p, 0), anyStr(p, 1)));
    sup("signalProcessGroup", (p) => control.signalGroup(str(p, 0), anyStr(p, 1)));
    sup("signalAllProcesses", (p) => control.signalMany(groups.allByPriority(), anyStr(p, 0)));
    sup("getProcessInfo", (p) => this.#struct(groups.process(str(p, 0))));
    sup("getAllProcessInfo", () => this.#allProcessInfo());
    sup("getAllConfigInfo", () => config.allConfigInfo());
    const readOut = (p: RpcValue[]) =>
      logs.readProcessLog(str(p, 0), int(p, 1), int(p, 2), "stdout");
    sup("readProcessStdoutLog", readOut);
    sup("readProcessLog", readOut);
    sup(
      "readProcessStderrLog",
      (p) => logs.readProcessLog(str(p, 0), int(p, 1), int(p, 2), "stderr"),
    );
    const tailOut = (p: RpcValue[]) =>
      logs.tailProcessLog(str(p, 0), int(p, 1), int(p, 2), "stdout");
    sup("tailProcessStdoutLog", tailOut);
    sup("tailProcessLog", tailOut);
    sup(
      "tailProcessStderrLog",
      (p) => logs.tailProcessLog(str(p, 0), int(p, 1), int(p, 2), "stderr"),
    );
    sup("clearProcessLogs", (p) => logs.clearProcessLogs(str(p, 0)));
    sup("clearProcessLog", (p) => logs.clearProcessLogs(str(p, 0)));
    sup("clearAllProcessLogs", () => logs.clearAll());
    sup("sendProcessStdin", (p) => logs.sendStdin(str(p, 0), p[1]));
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
      if (error instanceof TaskmasterError) throw faultOfError(error);
      throw error;
    }
  }

  /** The log file of a process spec and stream (for /logtail), or null. */
  logPath(spec: string, stream: "stdout" | "stderr"): string | null {
    try {
      return this.#groups.process(spec).info()[stream];
    } catch {
      return null;
    }
  }

  // supervisord answers SHUTDOWN_STATE to every supervisor.* call once it is stopping.
  #update(): void {
    if (this.#b.supervisor.shuttingDown) throw new RpcFault("SHUTDOWN_STATE");
  }

  #struct(runner: ProcessRunner): Record<string, RpcValue> {
    const snap = runner.snapshot;
    return processStruct(
      { info: runner.info(), tooQuick: snap.tooQuick, expected: snap.expected },
      this.#b.now?.() ?? Date.now(),
    );
  }

  #allProcessInfo(): RpcValue {
    return this.#groups.all()
      .sort((a, b) => byCodeUnit(a.name, b.name))
      .flatMap((g) =>
        [...g.runners].sort((a, b) => byCodeUnit(processName(a.info()), processName(b.info())))
      )
      .map((r) => this.#struct(r));
  }

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
