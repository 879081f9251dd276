/**
 * The validated `alerts:` section and the alert payload. A leaf apart from
 * the wire types of the API.
 *
 * @module
 */

import type { AlertChannelStats } from "../api/protocol.ts";

/** Every event an alert rule can name, in documentation order. */
export const ALERT_EVENTS = [
  "started",
  "exited",
  "crashed",
  "backoff",
  "fatal",
  "stopped",
  "flapping",
  "unhealthy",
  "daemon_started",
  "daemon_stopping",
  "config_reloaded",
  "config_error",
] as const;

/** One of {@link ALERT_EVENTS}. */
export type AlertEventName = typeof ALERT_EVENTS[number];

/** Channel kinds, each the one key of a channel's mapping. */
export const CHANNEL_KINDS = ["webhook", "email", "syslog", "exec"] as const;
export type ChannelKind = typeof CHANNEL_KINDS[number];

/** `webhook:`: a JSON POST of the payload. */
export interface WebhookSpec {
  readonly kind: "webhook";
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Seconds per attempt. @default 5 */
  readonly timeout: number;
  /** Extra attempts after a failed one. @default 3 */
  readonly retries: number;
  /** Seconds before the first retry; doubles each time. @default 1 */
  readonly backoff: number;
}

/** `email:`: one mail per alert over SMTP (nodemailer). */
export interface EmailSpec {
  readonly kind: "email";
  /** `smtp://user:pass@host:port` or `smtps://…` (TLS from the first byte). */
  readonly smtp: string;
  /** Require STARTTLS on a plain connection. @default true */
  readonly starttls: boolean;
  readonly from: string;
  readonly to: readonly string[];
  /** Seconds for connecting, the greeting and each command. @default 10 */
  readonly timeout: number;
  /** PEM file of extra CAs to trust (a private or self-signed server), or null. */
  readonly ca: string | null;
  /** Check the server's certificate. @default true */
  readonly tlsVerify: boolean;
}

/** Where syslog lines go. */
export type SyslogAddress =
  | { readonly transport: "unix"; readonly path: string }
  | { readonly transport: "udp" | "tcp"; readonly host: string; readonly port: number };

/** `syslog:`: one RFC 5424 (or 3164) line per alert. */
export interface SyslogSpec {
  readonly kind: "syslog";
  readonly address: SyslogAddress;
  /** The facility number (daemon = 3). */
  readonly facility: number;
  readonly format: "rfc5424" | "rfc3164";
  /** APP-NAME / TAG. @default "taskmaster" */
  readonly tag: string;
  /** Seconds for a TCP connect and write. @default 5 */
  readonly timeout: number;
}

/** `exec:`: a command that gets the payload on stdin and `TM_*` variables. */
export interface ExecSpec {
  readonly kind: "exec";
  readonly cmd: string;
  readonly argv: readonly string[];
  /** Seconds before the command's process group is killed. @default 10 */
  readonly timeout: number;
}

export type ChannelSpec = WebhookSpec | EmailSpec | SyslogSpec | ExecSpec;

/** One named channel. */
export interface ChannelConfig {
  readonly name: string;
  readonly spec: ChannelSpec;
  /** Alerts waiting beyond this are dropped, oldest first. @default 100 */
  readonly queue: number;
  /** Values that came from `${NAME}` or a URL password: never shown anywhere. */
  readonly secrets: readonly string[];
}

/** One `rules:` item. */
export interface RuleConfig {
  /** 0-based position in `rules:`, for messages. */
  readonly index: number;
  readonly events: ReadonlySet<AlertEventName>;
  /** Globs on program or instance names. @default ["*"] */
  readonly programs: readonly string[];
  readonly channels: readonly string[];
  /** Seconds: one alert per (rule, instance, event). @default 300 */
  readonly cooldown: number;
  /** Seconds: > 0 collects events into one digest. @default 0 */
  readonly batch: number;
  /** @default 30 */
  readonly maxPerHour: number;
}

/** The whole `alerts:` section. */
export interface AlertsConfig {
  readonly channels: ReadonlyMap<string, ChannelConfig>;
  readonly rules: readonly RuleConfig[];
}

/** Lines of each stream in `log_tail`. */
export const LOG_TAIL_LINES = 20;

/** No `alerts:` section. */
export const NO_ALERTS: AlertsConfig = { channels: new Map(), rules: [] };

/** `flap:` on a program: more than `restarts` restarts within `within` seconds. */
export interface FlapConfig {
  readonly restarts: number;
  readonly within: number;
}

/** The JSON every alert carries (docs/ALERTS.md). */
export interface AlertPayload {
  readonly version: 1;
  /** `test` only for `alert test CHANNEL`. */
  readonly event: AlertEventName | "test";
  /** ISO 8601, UTC. */
  readonly time: string;
  readonly host: string;
  readonly program: string | null;
  readonly instance: string | null;
  readonly pid: number | null;
  readonly from_state: string | null;
  readonly to_state: string | null;
  readonly exit_code: number | null;
  readonly signal: string | null;
  readonly expected: boolean | null;
  readonly tries: number | null;
  readonly uptime_s: number | null;
  readonly description: string;
  readonly log_tail: { readonly stdout: readonly string[]; readonly stderr: readonly string[] };
  /** Alerts of the same rule, instance and event held back since the last one sent. */
  readonly suppressed_since_last: number;
}

/** What a channel receives: one alert, or a digest of several (`batch:`). */
export type AlertMessage =
  | { readonly kind: "single"; readonly payload: AlertPayload }
  | { readonly kind: "digest"; readonly payload: DigestPayload };

/** A batch window's alerts, as one message. */
export interface DigestPayload {
  readonly version: 1;
  readonly event: "digest";
  readonly time: string;
  readonly host: string;
  readonly count: number;
  readonly alerts: readonly AlertPayload[];
}

/** Per-channel delivery counters (`status --json`, `GET /v1/alerts`). */
export type ChannelStats = AlertChannelStats;
