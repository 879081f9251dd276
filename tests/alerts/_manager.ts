/**
 * An AlertManager on a YAML `alerts:` section with real channels, fed
 * state changes directly (no daemon), for channel tests.
 *
 * @module
 */

import { AlertManager, type InstanceView } from "../../src/alerts/manager.ts";
import type { ProcessState } from "../../src/process/state.ts";
import { DenoSpawner } from "../../src/process/spawner.ts";
import { INITIAL_SNAPSHOT, type ProcessSnapshot } from "../../src/process/snapshot.ts";
import { alertsConfig } from "./_config.ts";
import { webProgram } from "../config/_helpers.ts";

/** A manager plus what it logged. */
export function manager(
  alerts: string,
  env: Record<string, string> = {},
): { alerts: AlertManager; logged: string[] } & AsyncDisposable {
  const logged: string[] = [];
  const alerts_ = new AlertManager(alertsConfig(alerts, env).alerts, {
    now: () => Date.now(),
    host: "testhost",
    log: (_level, message) => logged.push(message),
    spawner: new DenoSpawner(),
    tail: () => Promise.resolve({ stdout: ["last out"], stderr: ["last err"] }),
  });
  return {
    alerts: alerts_,
    logged,
    [Symbol.asyncDispose]: () => alerts_.close(0),
  };
}

/** Feeds one state change of instance `name` (program `web`). */
export function change(
  m: AlertManager,
  name: string,
  from: ProcessState,
  to: ProcessState,
  snap: Partial<ProcessSnapshot> = {},
): void {
  const view: InstanceView = {
    snapshot: { ...INITIAL_SNAPSHOT, state: to, ...snap },
    config: webProgram(),
    description: () => `described ${name}`,
  };
  m.processChange({ name, program: "web", from, to, pid: snap.pid ?? null, at: Date.now() }, view);
}

/** A crash of `name` with exit code `code`. */
export function crash(m: AlertManager, name: string, code = 3): void {
  change(m, name, "RUNNING", "EXITED", {
    exitcode: code,
    expected: false,
    startedAt: Date.now() - 5000,
  });
}
