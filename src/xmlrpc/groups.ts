/**
 * supervisord's namespace over taskmaster: a program is a group, its
 * instances the group's processes, and the event listener pools are groups
 * too. Finds a group or a process by its supervisord name (`web`, `web:0`,
 * `web:*`) and lists them in supervisord's orders. A name that matches
 * nothing is BAD_NAME, as supervisor's `_getGroupAndProcess` answers.
 *
 * @module
 */

import type { ProcessRunner } from "../process/runner.ts";
import type { Group, RpcBackend } from "./backend.ts";
import { RpcFault } from "./faults.ts";
import { makeNamespec, processName, splitNamespec } from "./process_view.ts";

/** Python's default string order (code units), which supervisord sorts with. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The groups and processes the interface shows, looked up by supervisord name. */
export class RpcGroups {
  readonly #b: RpcBackend;

  constructor(backend: RpcBackend) {
    this.#b = backend;
  }

  /** Every group: the supervisor's programs, then the listener pools. */
  all(): Group[] {
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
  supervised(runner: ProcessRunner): boolean {
    return this.#b.supervisor.config.programs.has(runner.program);
  }

  /** The group named `name`; BAD_NAME if none. */
  group(name: string): Group {
    const group = this.all().find((g) => g.name === name);
    if (group === undefined) throw new RpcFault("BAD_NAME", name);
    return group;
  }

  /** supervisor's `_getGroupAndProcess`: runner null for `web:` / `web:*`. */
  groupAndProcess(spec: string): { group: Group; runner: ProcessRunner | null } {
    const [groupName, procName] = splitNamespec(spec);
    const group = this.all().find((g) => g.name === groupName);
    if (group === undefined) throw new RpcFault("BAD_NAME", spec);
    if (procName === null) return { group, runner: null };
    const runner = group.runners.find((r) => processName(r.info()) === procName);
    if (runner === undefined) throw new RpcFault("BAD_NAME", spec);
    return { group, runner };
  }

  /** The one process `spec` names; a whole group is BAD_NAME here. */
  process(spec: string): ProcessRunner {
    const { runner } = this.groupAndProcess(spec);
    if (runner === null) throw new RpcFault("BAD_NAME", spec);
    return runner;
  }

  /** Groups by priority then name, processes by priority (supervisor's default order). */
  allByPriority(): ProcessRunner[] {
    return this.all()
      .sort((a, b) => a.config.priority - b.config.priority || byCodeUnit(a.name, b.name))
      .flatMap((g) => g.runners);
  }

  /** The supervisord name of a runner (`web`, `web:0`). */
  spec(runner: ProcessRunner): string {
    return makeNamespec(runner.program, processName(runner.info()));
  }
}
