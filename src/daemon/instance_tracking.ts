/**
 * How the daemon keeps track of what its instances run: their cgroups
 * (where the machine has them), the state file a later taskmaster
 * recovers from if this one is killed, and the resource monitor (CPU and
 * memory per process group, for status and metrics).
 *
 * @module
 */

import { cgroup2Mount, CgroupTree, pathKey } from "../process/cgroups.ts";
import { sampleGroups } from "../process/group_usage.ts";
import { processStartTime, readKernelFile } from "../process/kernel_files.ts";
import { ResourceMonitor } from "../supervisor/resources.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";
import { StateKeeper } from "./state_file.ts";

/**
 * The instance cgroups' parent: `taskmaster.cgroup`, or by default
 * `<cgroup2 mount>/taskmaster-<key>/taskmaster` (instances at
 * `…/taskmaster/<program>/<instance>`), the key naming the state file, so
 * two taskmasters on one machine never share (or recover) each other's
 * cgroups. Null when there is no writable cgroup v2 hierarchy (or `cgroup: false`).
 */
export function openCgroups(setting: string | false | null, statePath: string): CgroupTree | null {
  if (setting === false) return null;
  if (setting !== null) return CgroupTree.open(setting);
  const mount = cgroup2Mount();
  return mount === null
    ? null
    : CgroupTree.open(`${mount}/taskmaster-${pathKey(statePath)}/taskmaster`);
}

/** The event-log line that says how instances are tracked. */
export function describeTracking(
  cgroups: CgroupTree | null,
  setting: string | false | null,
): string {
  return cgroups === null
    ? `process tracking: process groups only (${
      setting === false ? "taskmaster.cgroup: false" : "no writable cgroup v2 hierarchy"
    }); a process that leaves its group (setsid) is not tracked`
    : `process tracking: every instance in its own cgroup under ${cgroups.root}`;
}

/**
 * The state file's keeper: this daemon (pid, start time and command line,
 * so a successor can tell it is gone and its half-born forks from others),
 * where its cgroups and children's SUPERVISOR_SERVER_URL are, and every
 * live instance with how to stop it.
 */
export function stateKeeper(
  statePath: string,
  supervisor: Supervisor,
  where: { cgroupRoot: string | null; serverUrl: string },
  onError: (message: string) => void,
): StateKeeper {
  const ownStart = processStartTime(Deno.pid);
  const ownCmdline = readKernelFile(`/proc/${Deno.pid}/cmdline`) ?? undefined;
  return new StateKeeper(statePath, () => ({
    version: 1,
    daemon: { pid: Deno.pid, startTime: ownStart, cmdline: ownCmdline },
    cgroupRoot: where.cgroupRoot,
    serverUrl: where.serverUrl,
    instances: supervisor.liveInstances().map(({ name, config, child }) => ({
      name,
      pid: child.pid,
      pgid: child.pid,
      startTime: child.startTime,
      cgroup: child.cgroup,
      stopsignal: config.stopsignal,
      stoptime: config.stoptime,
    })),
  }), onError);
}

/** CPU and memory of every live instance's process group, sampled on demand. */
export function watchResources(supervisor: Supervisor): ResourceMonitor {
  return new ResourceMonitor({
    now: () => Date.now(),
    sample: (targets) => sampleGroups(targets),
    instances: () =>
      supervisor.instances().flatMap((r) => {
        const s = r.snapshot;
        const pgid = s.pid ?? s.pgid;
        return pgid === null
          ? []
          : [{ name: r.name, pgid, cgroup: r.cgroup, startedAt: s.startedAt ?? Date.now() }];
      }),
  });
}
