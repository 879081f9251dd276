/**
 * Validation of the `alerts:` section and of a program's `flap:` option.
 * `${NAME}` in any string of the section is replaced from taskmaster's
 * environment; a missing variable is an issue naming it. Issues quote what
 * was written, never what a variable expanded to, so secrets stay out of
 * error messages.
 *
 * @module
 */

import { resolve } from "node:path";
import { split as shellSplit } from "shlex";
import type { IssueList } from "../config/issues.ts";
import type { Pos, YEntry, YNode } from "../config/parse.ts";
import { didYouMean } from "../config/suggest.ts";
import * as v from "../config/values.ts";
import {
  ALERT_EVENTS,
  type AlertEventName,
  type AlertsConfig,
  CHANNEL_KINDS,
  type ChannelConfig,
  type ChannelSpec,
  type FlapConfig,
  NO_ALERTS,
  type RuleConfig,
  type SyslogAddress,
} from "./types.ts";

/** Reads taskmaster's environment (injected in tests). */
export type EnvLookup = (name: string) => string | undefined;

/** Keys of `alerts:`. */
export const ALERTS_KEYS = ["channels", "rules"] as const;
/** Keys of one rule. */
export const RULE_KEYS = [
  "events",
  "programs",
  "channels",
  "cooldown",
  "batch",
  "max_per_hour",
] as const;
const WEBHOOK_KEYS = ["url", "headers", "timeout", "retries", "backoff"];
const EMAIL_KEYS = ["smtp", "starttls", "from", "to", "timeout", "ca", "tls_verify"];
const SYSLOG_KEYS = ["address", "facility", "format", "tag", "timeout"];
const EXEC_KEYS = ["cmd", "timeout"];

/** Syslog facility names (RFC 5424 numbers). */
export const FACILITIES: Readonly<Record<string, number>> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

/** Rules without `events:` alert on these. */
export const DEFAULT_EVENTS: readonly AlertEventName[] = ["crashed", "fatal", "flapping"];

interface Ctx {
  readonly issues: IssueList;
  readonly baseDir: string;
  readonly env: EnvLookup;
}

/** Validates `alerts:`; NO_ALERTS when absent, undefined when any issue was found. */
export function validateAlerts(
  entry: YEntry | undefined,
  issues: IssueList,
  baseDir: string,
  env: EnvLookup,
): AlertsConfig | undefined {
  if (entry === undefined) return NO_ALERTS;
  const before = issues.count;
  const node = entry.value;
  if (node.kind === "scalar" && node.value === null) return NO_ALERTS;
  if (node.kind !== "map") {
    issues.add(
      node.pos,
      null,
      "alerts",
      `expected a mapping with "channels:" and "rules:", got ${v.describe(node)}`,
    );
    return undefined;
  }
  const ctx: Ctx = { issues, baseDir, env };
  const top = readKeys(node, ALERTS_KEYS, "alerts", ctx);
  const channels = new Map<string, ChannelConfig>();
  const chNode = top.get("channels")?.value;
  if (chNode !== undefined && !(chNode.kind === "scalar" && chNode.value === null)) {
    if (chNode.kind !== "map") {
      issues.add(
        chNode.pos,
        null,
        "alerts.channels",
        `expected a mapping of channel names to channels, got ${v.describe(chNode)}`,
      );
    } else {
      for (const e of chNode.entries) {
        if (channels.has(e.key)) {
          issues.add(e.keyPos, null, `alerts.channels.${e.key}`, "duplicate channel");
          continue;
        }
        const channel = validateChannel(e, ctx);
        if (channel !== undefined) channels.set(e.key, channel);
      }
    }
  }
  const rules: RuleConfig[] = [];
  const rulesNode = top.get("rules")?.value;
  if (rulesNode !== undefined && !(rulesNode.kind === "scalar" && rulesNode.value === null)) {
    if (rulesNode.kind !== "seq") {
      issues.add(
        rulesNode.pos,
        null,
        "alerts.rules",
        `expected a list of rules, got ${v.describe(rulesNode)}`,
      );
    } else {
      const known = chNode?.kind === "map" ? chNode.entries.map((e) => e.key) : [];
      rulesNode.items.forEach((item, i) => {
        const rule = validateRule(item, i, known, ctx);
        if (rule !== undefined) rules.push(rule);
      });
    }
  }
  return issues.count === before ? { channels, rules } : undefined;
}

/** `flap: {restarts, within}` on a program; null (or absent) disables it. */
export function flap(node: YNode, report: v.Report): FlapConfig | null | undefined {
  if (node.kind === "scalar" && node.value === null) return null;
  if (node.kind !== "map") {
    report(`expected a mapping {restarts: N, within: SECONDS}, got ${v.describe(node)}`);
    return undefined;
  }
  let restarts = 5;
  let within = 60;
  let ok = true;
  for (const e of node.entries) {
    const at = (m: string) => {
      ok = false;
      report(m, e.value.pos);
    };
    if (e.key === "restarts") {
      const n = v.integer(e.value, (m) => at(`flap.restarts: ${m}`), 1);
      if (n !== undefined) restarts = n;
    } else if (e.key === "within") {
      const n = v.seconds(e.value, (m) => at(`flap.within: ${m}`));
      if (n !== undefined && n <= 0) {
        at(`flap.within: expected a number of seconds > 0, got ${v.describe(e.value)}`);
      } else if (n !== undefined) within = n;
    } else {
      ok = false;
      report(`unknown key "flap.${e.key}"${didYouMean(e.key, ["restarts", "within"])}`, e.keyPos);
    }
  }
  return ok ? { restarts, within } : undefined;
}

function readKeys(
  node: YNode & { kind: "map" },
  known: readonly string[],
  prefix: string,
  ctx: Ctx,
): Map<string, YEntry> {
  const out = new Map<string, YEntry>();
  for (const e of node.entries) {
    if (!known.includes(e.key)) {
      ctx.issues.add(
        e.keyPos,
        null,
        `${prefix}.${e.key}`,
        `unknown key "${e.key}"${didYouMean(e.key, known)}`,
      );
    } else if (out.has(e.key)) {
      ctx.issues.add(
        e.keyPos,
        null,
        `${prefix}.${e.key}`,
        `duplicate key (first set on line ${out.get(e.key)?.keyPos.line})`,
      );
    } else {
      out.set(e.key, e);
    }
  }
  return out;
}

/** Reads one channel; secrets collects every expanded value. */
function validateChannel(entry: YEntry, ctx: Ctx): ChannelConfig | undefined {
  const name = entry.key;
  const key = `alerts.channels.${name}`;
  const node = entry.value;
  const before = ctx.issues.count;
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    ctx.issues.add(
      entry.keyPos,
      null,
      key,
      `invalid channel name ${JSON.stringify(name)}: use letters, digits, "_", "." and "-"`,
    );
  }
  if (node.kind !== "map") {
    ctx.issues.add(
      node.pos,
      null,
      key,
      `expected a mapping with one of ${CHANNEL_KINDS.join(", ")}, got ${v.describe(node)}`,
    );
    return undefined;
  }
  const options = readKeys(node, [...CHANNEL_KINDS, "queue"], key, ctx);
  const kinds = CHANNEL_KINDS.filter((k) => options.has(k));
  if (kinds.length !== 1) {
    ctx.issues.add(
      node.pos,
      null,
      key,
      kinds.length === 0
        ? `expected one of ${CHANNEL_KINDS.join(", ")}`
        : `a channel has one kind, got ${kinds.join(" and ")}`,
    );
    return undefined;
  }
  const kind = kinds[0]!;
  const secrets: string[] = [];
  const r = new Reader(ctx, `${key}.${kind}`, secrets);
  const queueEntry = options.get("queue");
  const queue = queueEntry === undefined ? 100 : v.integer(
    queueEntry.value,
    ctx.issues.reporter(queueEntry.value, null, `${key}.queue`),
    1,
    100000,
  ) ?? 100;
  const specNode = options.get(kind)!.value;
  if (specNode.kind !== "map") {
    ctx.issues.add(
      specNode.pos,
      null,
      `${key}.${kind}`,
      `expected a mapping of ${kind} options, got ${v.describe(specNode)}`,
    );
    return undefined;
  }
  const spec = readSpec(kind, specNode, r);
  if (spec === undefined || ctx.issues.count !== before) return undefined;
  return { name, spec, queue, secrets: [...new Set(secrets)].filter((s) => s !== "") };
}

function readSpec(
  kind: ChannelSpec["kind"],
  node: YNode & { kind: "map" },
  r: Reader,
): ChannelSpec | undefined {
  switch (kind) {
    case "webhook": {
      const o = r.keys(node, WEBHOOK_KEYS);
      const url = r.string(o, "url", true);
      if (url !== undefined && !/^https?:\/\/[^/]/i.test(url)) {
        r.bad(o, "url", "expected an http:// or https:// URL");
      }
      return {
        kind,
        url: url ?? "",
        headers: r.headers(o),
        timeout: r.positive(o, "timeout", 5),
        retries: r.int(o, "retries", 3, 0, 100),
        backoff: r.positive(o, "backoff", 1),
      };
    }
    case "email": {
      const o = r.keys(node, EMAIL_KEYS);
      const smtp = r.string(o, "smtp", true);
      if (smtp !== undefined) {
        const parsed = URL.canParse(smtp) ? new URL(smtp) : null;
        if (
          parsed === null || !["smtp:", "smtps:"].includes(parsed.protocol) ||
          parsed.hostname === ""
        ) {
          r.bad(
            o,
            "smtp",
            "expected a URL such as smtp://user:password@host:587 or smtps://host:465",
          );
        } else if (parsed.password !== "") {
          r.secret(decodeURIComponent(parsed.password));
          r.secret(parsed.password);
        }
      }
      const to = r.list(o, "to");
      const ca = r.string(o, "ca", false);
      return {
        kind,
        smtp: smtp ?? "",
        starttls: r.bool(o, "starttls", true),
        from: r.string(o, "from", true) ?? "",
        to: to ?? [],
        timeout: r.positive(o, "timeout", 10),
        ca: ca === undefined ? null : resolve(r.baseDir, ca),
        tlsVerify: r.bool(o, "tls_verify", true),
      };
    }
    case "syslog": {
      const o = r.keys(node, SYSLOG_KEYS);
      const written = r.string(o, "address", false) ?? "/dev/log";
      const address = syslogAddress(written, r.baseDir);
      if (address === undefined) {
        r.bad(o, "address", "expected a unix socket path, udp://HOST:PORT or tcp://HOST:PORT");
      }
      const facilityName = r.string(o, "facility", false) ?? "daemon";
      const facility = FACILITIES[facilityName.toLowerCase()];
      if (facility === undefined) {
        r.bad(
          o,
          "facility",
          `unknown facility${didYouMean(facilityName, Object.keys(FACILITIES))} (expected one of ${
            Object.keys(FACILITIES).join(", ")
          })`,
        );
      }
      const format = r.string(o, "format", false) ??
        (address?.transport === "unix" ? "rfc3164" : "rfc5424");
      if (format !== "rfc5424" && format !== "rfc3164") {
        r.bad(o, "format", `expected "rfc5424" or "rfc3164"`);
      }
      return {
        kind,
        address: address ?? { transport: "unix", path: "/dev/log" },
        facility: facility ?? 3,
        format: format === "rfc3164" ? "rfc3164" : "rfc5424",
        tag: r.string(o, "tag", false) ?? "taskmaster",
        timeout: r.positive(o, "timeout", 5),
      };
    }
    case "exec": {
      const o = r.keys(node, EXEC_KEYS);
      const cmd = r.string(o, "cmd", true);
      let argv: string[] = [];
      if (cmd !== undefined) {
        try {
          argv = shellSplit(cmd);
        } catch {
          r.bad(o, "cmd", "cannot split the command into words: a quote is not closed");
        }
        if (argv.length === 0 && cmd.trim() === "") r.bad(o, "cmd", "expected a non-empty command");
      }
      return { kind, cmd: cmd ?? "", argv, timeout: r.positive(o, "timeout", 10) };
    }
  }
}

/** `/dev/log`, `udp://host:514`, `tcp://host:601` (ports default to 514 and 601). */
export function syslogAddress(written: string, baseDir: string): SyslogAddress | undefined {
  const m = /^(udp|tcp):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/i.exec(written.trim());
  if (m) {
    const transport = m[1]!.toLowerCase() as "udp" | "tcp";
    const port = m[3] === undefined ? (transport === "udp" ? 514 : 601) : Number(m[3]);
    if (port < 1 || port > 65535) return undefined;
    return { transport, host: m[2]!.replace(/^\[|\]$/g, ""), port };
  }
  if (written.includes("://") || written.trim() === "") return undefined;
  return { transport: "unix", path: resolve(baseDir, written) };
}

function validateRule(
  node: YNode,
  index: number,
  knownChannels: readonly string[],
  ctx: Ctx,
): RuleConfig | undefined {
  const key = `alerts.rules[${index}]`;
  if (node.kind !== "map") {
    ctx.issues.add(
      node.pos,
      null,
      key,
      `expected a mapping with "events:" and "channels:", got ${v.describe(node)}`,
    );
    return undefined;
  }
  const before = ctx.issues.count;
  const o = readKeys(node, RULE_KEYS, key, ctx);
  const r = new Reader(ctx, key, []);
  const events = new Set<AlertEventName>();
  const written = o.has("events") ? r.list(o, "events") ?? [] : [...DEFAULT_EVENTS];
  for (const name of written) {
    if ((ALERT_EVENTS as readonly string[]).includes(name)) events.add(name as AlertEventName);
    else {r.bad(
        o,
        "events",
        `unknown event ${JSON.stringify(name)}${didYouMean(name, ALERT_EVENTS)} (expected any of ${
          ALERT_EVENTS.join(", ")
        })`,
      );}
  }
  const programs = o.has("programs") ? r.list(o, "programs") ?? ["*"] : ["*"];
  const channels = r.list(o, "channels") ?? [];
  if (!o.has("channels")) {
    ctx.issues.add(node.pos, null, `${key}.channels`, `missing required key "channels"`);
  }
  for (const name of channels) {
    if (!knownChannels.includes(name)) {
      r.bad(
        o,
        "channels",
        `unknown channel ${JSON.stringify(name)}${
          didYouMean(name, knownChannels)
        } (define it under alerts.channels)`,
        false,
      );
    }
  }
  const rule: RuleConfig = {
    index,
    events,
    programs,
    channels,
    cooldown: r.seconds(o, "cooldown", 300),
    batch: r.seconds(o, "batch", 0),
    maxPerHour: r.int(o, "max_per_hour", 30, 1, 1_000_000),
  };
  return ctx.issues.count === before ? rule : undefined;
}

/** Typed reads of one mapping's options, with `${NAME}` expansion of strings. */
class Reader {
  readonly #ctx: Ctx;
  readonly #prefix: string;
  readonly #secrets: string[];
  #mapPos: Pos | null = null;

  constructor(ctx: Ctx, prefix: string, secrets: string[]) {
    this.#ctx = ctx;
    this.#prefix = prefix;
    this.#secrets = secrets;
  }

  get baseDir(): string {
    return this.#ctx.baseDir;
  }

  keys(node: YNode & { kind: "map" }, known: readonly string[]): Map<string, YEntry> {
    this.#mapPos = node.pos;
    return readKeys(node, known, this.#prefix, this.#ctx);
  }

  secret(value: string): void {
    this.#secrets.push(value);
  }

  #report(entry: YEntry, at?: YNode): v.Report {
    return this.#ctx.issues.reporter(at ?? entry.value, null, `${this.#prefix}.${entry.key}`);
  }

  bad(o: Map<string, YEntry>, key: string, message: string, quote = true): void {
    const e = o.get(key);
    if (e === undefined) return;
    this.#report(e)(quote ? `${message}, got ${v.describe(e.value)}` : message);
  }

  /** Expands `${NAME}`; reports a missing variable and returns undefined. */
  expand(text: string, report: v.Report): string | undefined {
    let missing: string | undefined;
    const out = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const value = this.#ctx.env(name);
      if (value === undefined) {
        missing ??= name;
        return "";
      }
      this.#secrets.push(value);
      return value;
    });
    if (missing !== undefined) {
      report(`environment variable ${missing} is not set (used as \${${missing}})`);
      return undefined;
    }
    return out;
  }

  #scalarText(node: YNode, report: v.Report): string | undefined {
    if (node.kind === "scalar" && typeof node.value === "string" && node.value.trim() !== "") {
      return this.expand(node.value, report);
    }
    if (node.kind === "scalar" && typeof node.value === "number") return node.source;
    report(`expected a non-empty string, got ${v.describe(node)}`);
    return undefined;
  }

  string(o: Map<string, YEntry>, key: string, required: boolean): string | undefined {
    const e = o.get(key);
    if (e === undefined) {
      if (required) {
        this.#ctx.issues.add(
          this.#mapPos,
          null,
          `${this.#prefix}.${key}`,
          `missing required key "${key}"`,
        );
      }
      return undefined;
    }
    return this.#scalarText(e.value, this.#report(e));
  }

  list(o: Map<string, YEntry>, key: string): string[] | undefined {
    const e = o.get(key);
    if (e === undefined) return undefined;
    const items = e.value.kind === "seq" ? e.value.items : [e.value];
    const out: string[] = [];
    for (const item of items) {
      const s = this.#scalarText(item, this.#report(e, item));
      if (s !== undefined) out.push(s);
    }
    if (items.length === 0) this.#report(e)(`expected a non-empty list`);
    return out.length === items.length ? out : undefined;
  }

  headers(o: Map<string, YEntry>): Record<string, string> {
    const e = o.get("headers");
    if (e === undefined) return {};
    if (e.value.kind !== "map") {
      this.#report(e)(`expected a mapping of header names to values, got ${v.describe(e.value)}`);
      return {};
    }
    const out: Record<string, string> = {};
    for (const h of e.value.entries) {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(h.key)) {
        this.#report(e, h.value)(`invalid header name ${JSON.stringify(h.key)}`);
        continue;
      }
      const value = this.#scalarText(
        h.value,
        this.#ctx.issues.reporter(h.value, null, `${this.#prefix}.headers.${h.key}`),
      );
      if (value !== undefined) out[h.key] = value;
    }
    return out;
  }

  positive(o: Map<string, YEntry>, key: string, fallback: number): number {
    const e = o.get(key);
    if (e === undefined) return fallback;
    const n = v.seconds(e.value, this.#report(e));
    if (n === 0) this.#report(e)(`expected a number of seconds > 0, got ${v.describe(e.value)}`);
    return n ?? fallback;
  }

  seconds(o: Map<string, YEntry>, key: string, fallback: number): number {
    const e = o.get(key);
    return e === undefined ? fallback : v.seconds(e.value, this.#report(e)) ?? fallback;
  }

  int(o: Map<string, YEntry>, key: string, fallback: number, min: number, max: number): number {
    const e = o.get(key);
    return e === undefined ? fallback : v.integer(e.value, this.#report(e), min, max) ?? fallback;
  }

  bool(o: Map<string, YEntry>, key: string, fallback: boolean): boolean {
    const e = o.get(key);
    return e === undefined ? fallback : v.boolean(e.value, this.#report(e)) ?? fallback;
  }
}
