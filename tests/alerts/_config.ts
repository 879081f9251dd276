/**
 * Alert configs for tests: YAML text with an injected environment.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseConfigText } from "../../src/config/load.ts";
import { formatConfigIssue } from "../../src/config/validate.ts";
import type { TaskmasterConfig } from "../../src/config/types.ts";
import { lookupUser } from "../config/_helpers.ts";

export const FILE = "/cfg/taskmaster.yaml";

/** Parses `alerts` (indented YAML under `alerts:`) with one program `web`. */
export function parseAlerts(alerts: string, env: Record<string, string> = {}) {
  const text = `programs:\n  web:\n    cmd: sleep 1\nalerts:\n${alerts}`;
  return parseConfigText(text, FILE, { isRoot: true, lookupUser, getEnv: (n) => env[n] });
}

/** A valid config from {@link parseAlerts}. */
export function alertsConfig(alerts: string, env: Record<string, string> = {}): TaskmasterConfig {
  const r = parseAlerts(alerts, env);
  if (!r.ok) assert.fail(r.issues.map(formatConfigIssue).join("\n"));
  return r.config;
}

/** The issue lines of an invalid {@link parseAlerts}. */
export function alertIssues(alerts: string, env: Record<string, string> = {}): string[] {
  const r = parseAlerts(alerts, env);
  if (r.ok) assert.fail("expected issues");
  return r.issues.map(formatConfigIssue);
}
