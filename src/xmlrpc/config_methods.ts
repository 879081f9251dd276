/**
 * supervisord's reread/update methods. `reloadConfig` reads the config file
 * again and stages it without applying anything (supervisord keeps it in
 * its options); `addProcessGroup`/`removeProcessGroup` then apply one group
 * of it at a time, and `getAllConfigInfo` describes the staged config. Event
 * listener pools are groups here as programs are.
 *
 * @module
 */

import { diffConfigs } from "../config/diff.ts";
import { samePool } from "../config/eventlisteners.ts";
import type { ProgramConfig, TaskmasterConfig } from "../config/types.ts";
import type { RpcBackend } from "./backend.ts";
import type { RpcValue } from "./codec.ts";
import { RpcFault } from "./faults.ts";
import { byCodeUnit, type RpcGroups } from "./groups.ts";
import { RUNNING_CODES, stateCode } from "./process_view.ts";
import { signalNumber } from "./signals.ts";

/** `reloadConfig`, `addProcessGroup`, `removeProcessGroup`, `getAllConfigInfo`. */
export class ConfigMethods {
  readonly #b: RpcBackend;
  readonly #groups: RpcGroups;
  /** The config read by the last reloadConfig, not yet applied (supervisord's options). */
  #staged: TaskmasterConfig | null = null;

  constructor(backend: RpcBackend, groups: RpcGroups) {
    this.#b = backend;
    this.#groups = groups;
  }

  /** `[[added, changed, removed]]` group names between the running and the re-read config. */
  async reloadConfig(): Promise<RpcValue> {
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

  /** Applies one staged group; ALREADY_ADDED if it runs already. */
  async addProcessGroup(name: string): Promise<RpcValue> {
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

  /** Removes a group whose processes are all stopped; STILL_RUNNING otherwise. */
  async removeProcessGroup(name: string): Promise<RpcValue> {
    const active = this.#b.supervisor.config;
    const pools = this.#b.pools?.configs();
    const isPool = pools?.has(name) ?? false;
    if (!active.programs.has(name) && !isPool) throw new RpcFault("BAD_NAME", name);
    const group = this.#groups.group(name);
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

  /** One struct per process of the staged (else running) config, with supervisord's keys. */
  allConfigInfo(): RpcValue {
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
    return out.sort((a, b) => byCodeUnit(String(a.name), String(b.name)));
  }
}
