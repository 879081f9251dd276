/**
 * supervisord's log and stdin methods: read/tail/clear the main log and a
 * process's logs, and `sendProcessStdin`. A missing file is NO_FILE, except
 * for a tail, which supervisord answers with an empty slice.
 *
 * @module
 */

import { TaskmasterError } from "../util/errors.ts";
import type { RpcBackend } from "./backend.ts";
import type { RpcValue } from "./codec.ts";
import { asFault, RpcFault } from "./faults.ts";
import type { RpcGroups } from "./groups.ts";
import { readLogFile, tailLogFile } from "./log_read.ts";
import { resultStruct } from "./process_view.ts";

/** `readLog`, `tailProcessStdoutLog`, `clearAllProcessLogs`, `sendProcessStdin`… */
export class LogMethods {
  readonly #b: RpcBackend;
  readonly #groups: RpcGroups;

  constructor(backend: RpcBackend, groups: RpcGroups) {
    this.#b = backend;
    this.#groups = groups;
  }

  async readMainLog(offset: number, length: number): Promise<RpcValue> {
    const path = this.#b.mainLogPath();
    if (!(await exists(path))) throw new RpcFault("NO_FILE", path);
    return await readLogFile(path, offset, length);
  }

  async clearMainLog(): Promise<RpcValue> {
    const path = this.#b.mainLogPath();
    if (!(await exists(path))) throw new RpcFault("NO_FILE");
    try {
      await Deno.truncate(path, 0);
    } catch {
      throw new RpcFault("FAILED");
    }
    return true;
  }

  async readProcessLog(
    spec: string,
    offset: number,
    length: number,
    stream: "stdout" | "stderr",
  ): Promise<RpcValue> {
    const path = this.#groups.process(spec).info()[stream];
    if (path === null || !(await exists(path))) throw new RpcFault("NO_FILE", path);
    return await readLogFile(path, offset, length);
  }

  async tailProcessLog(
    spec: string,
    offset: number,
    length: number,
    stream: "stdout" | "stderr",
  ): Promise<RpcValue> {
    const path = this.#groups.process(spec).info()[stream];
    if (path === null || !(await exists(path))) return ["", 0, false];
    return await tailLogFile(path, offset, length);
  }

  async clearProcessLogs(spec: string): Promise<RpcValue> {
    const runner = this.#groups.process(spec);
    const [result] = await this.#b.port.clear([runner.name]);
    if (result !== undefined && !result.ok) throw new RpcFault("FAILED", spec);
    return true;
  }

  /** Every process, one at a time in priority order, one struct each. */
  async clearAll(): Promise<RpcValue> {
    const out: RpcValue[] = [];
    for (const runner of this.#groups.allByPriority()) {
      try {
        await this.clearProcessLogs(this.#groups.spec(runner));
        out.push(resultStruct(runner, null));
      } catch (error) {
        out.push(resultStruct(runner, asFault(error)));
      }
    }
    return out;
  }

  async sendStdin(spec: string, chars: RpcValue | undefined): Promise<RpcValue> {
    if (typeof chars !== "string") throw new RpcFault("INCORRECT_PARAMETERS", String(chars));
    const runner = this.#groups.process(spec);
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
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
