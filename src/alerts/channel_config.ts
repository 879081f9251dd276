/**
 * Validation of `alerts.channels`: webhook, email, syslog and exec channels,
 * each with its own keys and defaults.
 *
 * @module
 */

import { resolve } from "node:path";
import { split as shellSplit } from "shlex";
import type { YEntry, YNode } from "../config/parse.ts";
import { didYouMean } from "../config/suggest.ts";
import * as v from "../config/values.ts";
import {
  CHANNEL_KINDS,
  type ChannelConfig,
  type ChannelSpec,
  type SyslogAddress,
} from "./types.ts";
import { type Ctx, Reader, readKeys } from "./_config_reader.ts";

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

/** Reads one channel; secrets collects every expanded value. */
export function validateChannel(entry: YEntry, ctx: Ctx): ChannelConfig | undefined {
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
