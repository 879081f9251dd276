/**
 * The alert payload and how each channel renders it: JSON for webhook and
 * exec, a subject and text for email, one line for syslog.
 *
 * @module
 */

import type { AlertEventName, AlertMessage, AlertPayload } from "./types.ts";

export { LOG_TAIL_LINES } from "./types.ts";

/** Everything about the event except what the sender adds (host, suppressed count). */
export type AlertFacts = Omit<
  AlertPayload,
  "version" | "host" | "suppressed_since_last" | "log_tail"
>;

/** Builds the payload. */
export function buildPayload(
  facts: AlertFacts,
  host: string,
  logTail: AlertPayload["log_tail"],
  suppressed: number,
): AlertPayload {
  return {
    version: 1,
    event: facts.event,
    time: facts.time,
    host,
    program: facts.program,
    instance: facts.instance,
    pid: facts.pid,
    from_state: facts.from_state,
    to_state: facts.to_state,
    exit_code: facts.exit_code,
    signal: facts.signal,
    expected: facts.expected,
    tries: facts.tries,
    uptime_s: facts.uptime_s,
    description: facts.description,
    log_tail: logTail,
    suppressed_since_last: suppressed,
  };
}

/** The facts of an event about the daemon itself. */
export function daemonFacts(
  event: AlertEventName | "test",
  at: number,
  description: string,
): AlertFacts {
  return {
    event,
    time: new Date(at).toISOString(),
    program: null,
    instance: null,
    pid: Deno.pid,
    from_state: null,
    to_state: null,
    exit_code: null,
    signal: null,
    expected: null,
    tries: null,
    uptime_s: null,
    description,
  };
}

/** `web:1 crashed (exit 3) on HOST`: the email subject (after `[taskmaster] `) and syslog lead. */
export function headline(p: AlertPayload): string {
  const who = p.instance ?? "taskmaster";
  let detail = "";
  if (p.event === "crashed" || p.event === "exited") {
    if (p.signal !== null) detail = ` (signal ${p.signal})`;
    else if (p.exit_code !== null) detail = ` (exit ${p.exit_code})`;
  }
  return `${who} ${p.event}${detail} on ${p.host}`;
}

/** `[taskmaster] web:1 crashed (exit 3) on HOST`, or `[taskmaster] 4 alerts on HOST`. */
export function subject(message: AlertMessage): string {
  if (message.kind === "digest") {
    return `[taskmaster] ${message.payload.count} alerts on ${message.payload.host}`;
  }
  return `[taskmaster] ${headline(message.payload)}`;
}

/** The JSON body (webhook) or stdin (exec). */
export function json(message: AlertMessage): string {
  return JSON.stringify(message.payload);
}

/** A plain-text email body: headline, fields, log tails. */
export function emailText(message: AlertMessage): string {
  if (message.kind === "digest") {
    const parts = message.payload.alerts.map((p) => singleText(p));
    return `${message.payload.count} alerts on ${message.payload.host}:\n\n${
      parts.join("\n----------------------------------------\n\n")
    }`;
  }
  return singleText(message.payload);
}

function singleText(p: AlertPayload): string {
  const lines = [
    headline(p),
    "",
    `event:       ${p.event}`,
    `time:        ${p.time}`,
    `host:        ${p.host}`,
  ];
  if (p.program !== null) lines.push(`program:     ${p.program}`);
  if (p.instance !== null) lines.push(`instance:    ${p.instance}`);
  if (p.pid !== null) lines.push(`pid:         ${p.pid}`);
  if (p.from_state !== null) lines.push(`state:       ${p.from_state} -> ${p.to_state}`);
  if (p.exit_code !== null) lines.push(`exit code:   ${p.exit_code}`);
  if (p.signal !== null) lines.push(`signal:      ${p.signal}`);
  if (p.expected !== null) lines.push(`expected:    ${p.expected ? "yes" : "no"}`);
  if (p.tries !== null) lines.push(`tries:       ${p.tries}`);
  if (p.uptime_s !== null) lines.push(`uptime:      ${p.uptime_s} s`);
  if (p.description !== "") lines.push(`description: ${p.description}`);
  if (p.suppressed_since_last > 0) {
    lines.push(`suppressed:  ${p.suppressed_since_last} similar alerts since the last one`);
  }
  for (const stream of ["stdout", "stderr"] as const) {
    const tail = p.log_tail[stream];
    if (tail.length === 0) continue;
    lines.push("", `last ${tail.length} lines of ${stream}:`, ...tail.map((l) => `  ${l}`));
  }
  return `${lines.join("\n")}\n`;
}

/** One line for syslog: headline, then the key facts; no log tail. */
export function syslogText(message: AlertMessage): string {
  if (message.kind === "digest") {
    const heads = message.payload.alerts.map((p) => headline(p)).join("; ");
    return `${message.payload.count} alerts on ${message.payload.host}: ${heads}`;
  }
  const p = message.payload;
  const facts: string[] = [];
  if (p.description !== "") facts.push(p.description);
  const kv: [string, unknown][] = [
    ["program", p.program],
    ["pid", p.pid],
    ["from", p.from_state],
    ["to", p.to_state],
    ["exit_code", p.exit_code],
    ["signal", p.signal],
    ["tries", p.tries],
    ["uptime_s", p.uptime_s],
  ];
  const pairs = kv.filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`);
  if (p.suppressed_since_last > 0) pairs.push(`suppressed=${p.suppressed_since_last}`);
  return `${headline(p)}${facts.length > 0 ? `: ${facts.join(" ")}` : ""}${
    pairs.length > 0 ? ` [${pairs.join(" ")}]` : ""
  }`.replace(/[\r\n]+/g, " ");
}

/** Syslog severity of an event (RFC 5424 numbers). */
export function severity(message: AlertMessage): number {
  const events = message.kind === "digest"
    ? message.payload.alerts.map((p) => p.event)
    : [message.payload.event];
  return Math.min(...events.map((e) => (e === "test" ? 5 : SEVERITY[e])));
}

const SEVERITY: Readonly<Record<AlertEventName, number>> = {
  fatal: 2,
  crashed: 3,
  flapping: 3,
  unhealthy: 3,
  config_error: 3,
  backoff: 4,
  exited: 5,
  stopped: 5,
  daemon_stopping: 5,
  config_reloaded: 5,
  started: 6,
  daemon_started: 6,
};

/** The `TM_*` variables an exec channel's command gets. */
export function execEnv(message: AlertMessage): Record<string, string> {
  if (message.kind === "digest") {
    return {
      TM_EVENT: "digest",
      TM_HOST: message.payload.host,
      TM_TIME: message.payload.time,
      TM_COUNT: String(message.payload.count),
      TM_SUBJECT: subject(message),
    };
  }
  const p = message.payload;
  const str = (v: unknown) => (v === null ? "" : String(v));
  return {
    TM_EVENT: p.event,
    TM_TIME: p.time,
    TM_HOST: p.host,
    TM_PROGRAM: str(p.program),
    TM_INSTANCE: str(p.instance),
    TM_PID: str(p.pid),
    TM_FROM_STATE: str(p.from_state),
    TM_TO_STATE: str(p.to_state),
    TM_EXIT_CODE: str(p.exit_code),
    TM_SIGNAL: str(p.signal),
    TM_EXPECTED: str(p.expected),
    TM_TRIES: str(p.tries),
    TM_UPTIME_S: str(p.uptime_s),
    TM_DESCRIPTION: p.description,
    TM_SUPPRESSED: String(p.suppressed_since_last),
    TM_SUBJECT: subject(message),
  };
}
