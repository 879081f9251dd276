import assert from "node:assert/strict";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { renderMetrics } from "../../src/web/metrics.ts";
import { proc } from "../_helpers/fake_port.ts";

interface Family {
  name: string;
  type: string;
  metrics: { value: string; labels?: Record<string, string> }[];
}

Deno.test("metrics parse as Prometheus text, with every family the issue names", () => {
  const text = renderMetrics([
    {
      info: proc("web:0", "RUNNING", { restarts: 3, rss_bytes: 1234, started_at: 1700000000.5 }),
      exits: { expected: 1, unexpected: 2 },
      cpuSeconds: 1.25,
    },
    { info: proc('we"ird\\', "FATAL"), exits: { expected: 0, unexpected: 4 }, cpuSeconds: 0 },
  ], {
    version: "1.2.3",
    startTime: 1700000000,
    reloads: { succeeded: 2, failed: 1 },
    configErrors: 3,
  });
  const families = parsePrometheusTextFormat(text) as Family[];
  const byName = new Map(families.map((f) => [f.name, f]));
  const value = (name: string, labels: Record<string, string>) =>
    byName.get(name)?.metrics.find((m) =>
      Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)
    )?.value;

  for (
    const name of [
      "taskmaster_process_state",
      "taskmaster_process_up",
      "taskmaster_process_restarts_total",
      "taskmaster_process_exits_total",
      "taskmaster_process_cpu_seconds_total",
      "taskmaster_process_resident_memory_bytes",
      "taskmaster_process_start_time_seconds",
      "taskmaster_build_info",
      "taskmaster_reloads_total",
      "taskmaster_config_errors",
    ]
  ) assert.ok(byName.has(name), name);
  assert.equal(byName.get("taskmaster_process_restarts_total")!.type, "COUNTER");
  assert.equal(value("taskmaster_process_state", { instance: "web:0", state: "RUNNING" }), "1");
  assert.equal(value("taskmaster_process_state", { instance: "web:0", state: "STOPPED" }), "0");
  assert.equal(value("taskmaster_process_up", { program: "web", instance: "web:0" }), "1");
  assert.equal(value("taskmaster_process_up", { instance: 'we"ird\\' }), "0");
  assert.equal(value("taskmaster_process_restarts_total", { instance: "web:0" }), "3");
  assert.equal(
    value("taskmaster_process_exits_total", { instance: "web:0", expected: "false" }),
    "2",
  );
  assert.equal(value("taskmaster_process_cpu_seconds_total", { instance: "web:0" }), "1.25");
  assert.equal(value("taskmaster_process_resident_memory_bytes", { instance: "web:0" }), "1234");
  assert.equal(
    value("taskmaster_process_start_time_seconds", { instance: "web:0" }),
    "1700000000.5",
  );
  assert.equal(value("taskmaster_build_info", { version: "1.2.3" }), "1");
  assert.equal(value("taskmaster_reloads_total", { result: "failure" }), "1");
  assert.equal(value("taskmaster_config_errors", {}), "3");
});
