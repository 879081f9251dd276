/**
 * supervisord's start/stop/signal methods, one process, one group or all.
 * Programs go through the supervisor (its dependency and stop-order rules);
 * an event listener pool's processes are dispatched directly with the same
 * waiting rules. Faults and result structs as supervisor's rpcinterface.py
 * builds them: one process answers true or a fault, many answer one struct
 * each.
 *
 * @module
 */

import type { ActionResult } from "../api/protocol.ts";
import type { ProcessRunner } from "../process/runner.ts";
import { resolveCommand } from "../process/spawner.ts";
import type { RpcBackend } from "./backend.ts";
import type { RpcValue } from "./codec.ts";
import { asFault, faultOf, RpcFault } from "./faults.ts";
import type { RpcGroups } from "./groups.ts";
import { resultStruct, RUNNING_CODES, SIGNALLABLE_CODES, stateCode } from "./process_view.ts";
import { supervisordSignal } from "./signals.ts";

/** `startProcess`, `stopProcessGroup`, `signalAllProcesses`… */
export class ProcessControl {
  readonly #b: RpcBackend;
  readonly #groups: RpcGroups;

  constructor(backend: RpcBackend, groups: RpcGroups) {
    this.#b = backend;
    this.#groups = groups;
  }

  /** supervisor.start for its own runners; the same waiting rules for a pool's. */
  async #startRunner(runner: ProcessRunner): Promise<ActionResult> {
    if (this.#groups.supervised(runner)) {
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
    const own = runners.filter((r) => this.#groups.supervised(r));
    const ownResults = own.length === 0
      ? []
      : await this.#b.supervisor.stop(own.map((r) => r.name));
    const results = new Map(own.map((r, i) => [r, ownResults[i]!]));
    await Promise.all(
      runners.filter((r) => !this.#groups.supervised(r)).map(async (r) => {
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

  /** `startProcess`: a group spec (`web:*`) starts the group. */
  async startProcess(spec: string, wait: boolean): Promise<RpcValue> {
    const { group, runner } = this.#groups.groupAndProcess(spec);
    if (runner === null) return await this.startGroup(group.name, wait);
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

  /** `stopProcess`: a group spec (`web:*`) stops the group. */
  async stopProcess(spec: string, wait: boolean): Promise<RpcValue> {
    const { group, runner } = this.#groups.groupAndProcess(spec);
    if (runner === null) return await this.stopGroup(group.name, wait);
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

  startGroup(name: string, wait: boolean): Promise<RpcValue> {
    return this.startMany(this.#groups.group(name).runners, wait);
  }

  stopGroup(name: string, wait: boolean): Promise<RpcValue> {
    return this.stopMany(this.#groups.group(name).runners, wait);
  }

  /** supervisor's make_allfunc over startProcess: immediate faults first, then the rest. */
  async startMany(runners: ProcessRunner[], wait: boolean): Promise<RpcValue> {
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
        result: this.startProcess(this.#groups.spec(runner), wait).then(
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

  /** Stops the running ones among `runners`; one struct each, in the order given. */
  async stopMany(runners: ProcessRunner[], wait: boolean): Promise<RpcValue> {
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
        result === undefined || result.ok ? null : faultOf(result, this.#groups.spec(r)),
      );
    });
  }

  /** `signalProcess`: a group spec (`web:*`) signals the group. */
  signalProcess(spec: string, signal: string): RpcValue {
    const { group, runner } = this.#groups.groupAndProcess(spec);
    if (runner === null) return this.signalGroup(group.name, signal);
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

  signalGroup(name: string, signal: string): RpcValue {
    return this.signalMany(this.#groups.group(name).runners, signal);
  }

  /** Signals the signallable ones among `runners`; one struct each. */
  signalMany(runners: ProcessRunner[], signal: string): RpcValue {
    return runners
      .filter((r) => SIGNALLABLE_CODES.has(stateCode(r.state)))
      .map((r) => {
        try {
          this.signalProcess(this.#groups.spec(r), signal);
          return resultStruct(r, null);
        } catch (error) {
          return resultStruct(r, asFault(error));
        }
      });
  }
}
