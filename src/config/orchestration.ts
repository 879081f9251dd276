/**
 * The orchestration options of a program: `depends_on`, the `readiness` and
 * `liveness` probes and `max_memory`. Each reader takes the option's YAML node
 * and returns the typed value, or reports every problem and returns undefined.
 * Cross-program checks (unknown names, cycles) are in dependency_checks.ts.
 *
 * @module
 */

import { parseCommand } from "./command.ts";
import type { IssueList } from "./issues.ts";
import type { Pos, YNode } from "./parse.ts";
import { readOptions } from "./options.ts";
import { didYouMean } from "./suggest.ts";
import {
  type Dependency,
  DEPENDENCY_CONDITIONS,
  type DependencyCondition,
  type ProbeCheck,
  type ProbeConfig,
} from "./types.ts";
import * as v from "./values.ts";

/** A `depends_on` entry with where it was written, for cross-program errors. */
export interface WrittenDependency extends Dependency {
  readonly pos: Pos;
}

/**
 * `depends_on`: a list of names (condition `running`) or a mapping of
 * name → condition. Names are checked against the other programs later.
 */
export function dependsOn(node: YNode, report: v.Report): WrittenDependency[] | undefined {
  if (node.kind === "scalar" && node.value === null) return [];
  const out: WrittenDependency[] = [];
  const add = (program: string, condition: DependencyCondition, pos: Pos) => {
    if (out.some((d) => d.program === program)) {
      report(`"${program}" is listed twice`, pos);
    } else {
      out.push({ program, condition, pos });
    }
  };
  if (node.kind === "seq") {
    for (const item of node.items) {
      const name = item.kind === "scalar" && item.value !== null && typeof item.value !== "boolean"
        ? item.source.trim()
        : "";
      if (name === "") {
        report(`expected a program name, got ${v.describe(item)}`, item.pos);
      } else {
        add(name, "running", item.pos);
      }
    }
    // The good entries still go on to the cross-program checks (the reports
    // already fail the program).
    return out;
  }
  if (node.kind === "map") {
    for (const e of node.entries) {
      const c = e.value.kind === "scalar" && typeof e.value.value === "string"
        ? e.value.value.trim()
        : e.value.kind === "scalar" && e.value.value === null
        ? "running"
        : undefined;
      if (c === undefined || !(DEPENDENCY_CONDITIONS as readonly string[]).includes(c)) {
        const hint = c === undefined ? "" : didYouMean(c, DEPENDENCY_CONDITIONS);
        report(
          `"${e.key}": expected a condition (${DEPENDENCY_CONDITIONS.join(", ")}), got ${
            v.describe(e.value)
          }${hint}`,
          e.value.pos,
        );
      } else {
        add(e.key, c as DependencyCondition, e.keyPos);
      }
    }
    return out;
  }
  report(
    `expected a list of program names or a mapping of program name to condition, got ${
      v.describe(node)
    }`,
  );
  return undefined;
}

/** Keys of a probe mapping. */
export const PROBE_KEYS = [
  "exec",
  "http",
  "tcp",
  "log_line",
  "initial_delay",
  "period",
  "timeout",
  "success_threshold",
  "failure_threshold",
] as const;

const CHECK_KEYS = ["exec", "http", "tcp", "log_line"] as const;

/**
 * A `readiness:` or `liveness:` mapping. Problems are filed under
 * `<which>.<key>` (`readiness.period`).
 */
export function probe(
  node: YNode,
  which: "readiness" | "liveness",
  program: string,
  issues: IssueList,
): ProbeConfig | null | undefined {
  if (node.kind === "scalar" && node.value === null) return null;
  if (node.kind !== "map") {
    issues.add(
      node.pos,
      program,
      which,
      `expected a mapping with one check (exec, http, tcp or log_line), got ${v.describe(node)}`,
    );
    return undefined;
  }
  const before = issues.count;
  const options = readOptions(node, PROBE_KEYS, issues, program, `${which}.`);
  const checks = CHECK_KEYS.filter((k) => options.has(k));
  if (checks.length === 0) {
    issues.add(node.pos, program, which, `expected one check: exec, http, tcp or log_line`);
    return undefined;
  }
  if (checks.length > 1) {
    const second = options.get(checks[1]!)!;
    issues.add(
      second.keyPos,
      program,
      which,
      `only one check per probe, got ${checks.join(" and ")}`,
    );
    return undefined;
  }
  const kind = checks[0]!;
  const entry = options.get(kind)!;
  const report = issues.reporter(entry.value, program, `${which}.${kind}`);
  const check = readCheck(kind, entry.value, report);
  const num = <T>(
    key: (typeof PROBE_KEYS)[number],
    coerce: (node: YNode, report: v.Report) => T | undefined,
    fallback: T,
  ): T => {
    const e = options.get(key);
    if (e === undefined) return fallback;
    return coerce(e.value, issues.reporter(e.value, program, `${which}.${key}`)) ?? fallback;
  };
  const timing = {
    initialDelay: num("initial_delay", v.seconds, 0),
    period: num("period", positiveSeconds, 2),
    timeout: num("timeout", positiveSeconds, 1),
    successThreshold: num("success_threshold", (n, r) => v.integer(n, r, 1), 1),
    failureThreshold: num("failure_threshold", (n, r) => v.integer(n, r, 1), 3),
  };
  return issues.count === before && check !== undefined ? { check, ...timing } : undefined;
}

function readCheck(
  kind: (typeof CHECK_KEYS)[number],
  node: YNode,
  report: v.Report,
): ProbeCheck | undefined {
  switch (kind) {
    case "exec": {
      const command = parseCommand(node, report);
      return command === undefined ? undefined : { kind: "exec", argv: command.argv };
    }
    case "http":
      return httpCheck(node, report);
    case "tcp":
      return tcpCheck(node, report);
    case "log_line": {
      const pattern = v.text(node, report);
      if (pattern === undefined) return undefined;
      try {
        new RegExp(pattern);
      } catch (error) {
        report(`invalid regular expression: ${(error as Error).message}`);
        return undefined;
      }
      return { kind: "log_line", pattern };
    }
  }
}

/** `http: URL` or `http: {url: URL, status: 200}`. */
function httpCheck(node: YNode, report: v.Report): ProbeCheck | undefined {
  let urlNode: YNode | undefined = node;
  let status: number | null = null;
  if (node.kind === "map") {
    urlNode = undefined;
    for (const e of node.entries) {
      if (e.key === "url") urlNode = e.value;
      else if (e.key === "status") {
        const s = v.integer(e.value, (m) => report(`status: ${m}`, e.value.pos), 100, 599);
        if (s === undefined) return undefined;
        status = s;
      } else {
        report(`unknown key "${e.key}"${didYouMean(e.key, ["url", "status"])}`, e.keyPos);
        return undefined;
      }
    }
    if (urlNode === undefined) {
      report(`missing required key "url"`);
      return undefined;
    }
  }
  const text = v.text(urlNode, report);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    report(`invalid URL ${JSON.stringify(text)}`, urlNode.pos);
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    report(`expected an http:// or https:// URL, got ${JSON.stringify(text)}`, urlNode.pos);
    return undefined;
  }
  return { kind: "http", url: url.href, status };
}

/** `tcp: "host:port"`, or a bare port (127.0.0.1). */
function tcpCheck(node: YNode, report: v.Report): ProbeCheck | undefined {
  const value = node.kind === "scalar" ? node.value : undefined;
  const written = typeof value === "number" ? `127.0.0.1:${value}` : value;
  const m = typeof written === "string" ? /^\s*\[?([^\]]*?)\]?:(\d+)\s*$/.exec(written) : null;
  const port = m ? Number(m[2]) : NaN;
  if (!m || m[1] === "" || !(port >= 1 && port <= 65535)) {
    report(`expected "host:port" (port 1-65535), got ${v.describe(node)}`);
    return undefined;
  }
  return { kind: "tcp", host: m[1]!, port };
}

function positiveSeconds(node: YNode, report: v.Report): number | undefined {
  const s = v.seconds(node, report);
  if (s !== undefined && s <= 0) {
    report(`expected a number of seconds > 0, got ${v.describe(node)}`);
    return undefined;
  }
  return s;
}

/** `max_memory`: a size such as "512MB" (or bytes), > 0; null for no limit. */
export function maxMemory(node: YNode, report: v.Report): number | null | undefined {
  if (node.kind === "scalar" && node.value === null) return null;
  const n = v.byteSize(node, report);
  if (n === 0) {
    report(`expected a size > 0 such as "512MB", got ${v.describe(node)}`);
    return undefined;
  }
  return n;
}
