/**
 * `/metrics` in the Prometheus text exposition format (version 0.0.4): one
 * block per metric family, `# HELP` and `# TYPE` first, label values escaped.
 * Pure: the daemon hands in what it knows, this module only writes text.
 *
 * @module
 */

import { type ProcessInfo } from "../api/protocol.ts";
import { PROCESS_STATES } from "../process/state.ts";

/** What the metrics need to know about one instance. */
export interface InstanceMetrics {
  readonly info: ProcessInfo;
  readonly exits: { readonly expected: number; readonly unexpected: number };
  /** CPU seconds of the current process group. */
  readonly cpuSeconds: number;
}

/** Daemon-wide figures. */
export interface DaemonMetrics {
  readonly version: string;
  /** Epoch seconds the daemon started. */
  readonly startTime: number;
  readonly reloads: { readonly succeeded: number; readonly failed: number };
  /** Issues found by the last reload attempt (0 when it succeeded or none happened). */
  readonly configErrors: number;
}

/** The content type Prometheus expects for this format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Readonly<Record<string, string>>;

/** Renders every metric family as Prometheus text. */
export function renderMetrics(
  instances: readonly InstanceMetrics[],
  daemon: DaemonMetrics,
): string {
  const out: string[] = [];
  const family = (
    name: string,
    type: "gauge" | "counter",
    help: string,
    samples: readonly (readonly [Labels, number])[],
  ) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${formatLabels(labels)} ${num(value)}`);
  };
  const id = (i: InstanceMetrics): Labels => ({ program: i.info.program, instance: i.info.name });

  family(
    "taskmaster_process_state",
    "gauge",
    "1 for the state the instance is in, 0 for the others.",
    instances.flatMap((i) =>
      PROCESS_STATES.map((state) => [{ ...id(i), state }, i.info.state === state ? 1 : 0] as const)
    ),
  );
  family(
    "taskmaster_process_up",
    "gauge",
    "1 when the instance is RUNNING.",
    instances.map((i) => [id(i), i.info.state === "RUNNING" ? 1 : 0]),
  );
  family(
    "taskmaster_process_restarts_total",
    "counter",
    "Spawns after the first since taskmaster started.",
    instances.map((i) => [id(i), i.info.restarts]),
  );
  family(
    "taskmaster_process_exits_total",
    "counter",
    "Exits of the instance's process, by whether the exit code was in exitcodes.",
    instances.flatMap((i) => [
      [{ ...id(i), expected: "true" }, i.exits.expected] as const,
      [{ ...id(i), expected: "false" }, i.exits.unexpected] as const,
    ]),
  );
  family(
    "taskmaster_process_cpu_seconds_total",
    "counter",
    "User and system CPU seconds of the instance's process group (resets when it restarts).",
    instances.map((i) => [id(i), i.cpuSeconds]),
  );
  family(
    "taskmaster_process_resident_memory_bytes",
    "gauge",
    "Resident memory of the instance's whole process group.",
    instances.map((i) => [id(i), i.info.rss_bytes]),
  );
  family(
    "taskmaster_process_start_time_seconds",
    "gauge",
    "Epoch seconds of the instance's last spawn (0 if it never started).",
    instances.map((i) => [id(i), i.info.started_at ?? 0]),
  );
  family("taskmaster_build_info", "gauge", "Always 1; the version is a label.", [
    [{ version: daemon.version }, 1],
  ]);
  family("taskmaster_start_time_seconds", "gauge", "Epoch seconds the daemon started.", [
    [{}, daemon.startTime],
  ]);
  family("taskmaster_reloads_total", "counter", "Configuration reloads, by result.", [
    [{ result: "success" }, daemon.reloads.succeeded],
    [{ result: "failure" }, daemon.reloads.failed],
  ]);
  family(
    "taskmaster_config_errors",
    "gauge",
    "Issues found in the config file by the last reload (0 when it was valid).",
    [[{}, daemon.configErrors]],
  );
  family(
    "taskmaster_config_last_reload_successful",
    "gauge",
    "1 when the last reload succeeded (or none was tried).",
    [[{}, daemon.configErrors === 0 ? 1 : 0]],
  );
  return out.join("\n") + "\n";
}

function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels);
  if (pairs.length === 0) return "";
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

/** Backslash, double quote and newline are the three characters the format escapes. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function num(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
