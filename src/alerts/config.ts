/**
 * Validation of the `alerts:` section (its channels in `channel_config.ts`)
 * and of a program's `flap:` option.
 * `${NAME}` in any string of the section is replaced from taskmaster's
 * environment; a missing variable is an issue naming it. Issues quote what
 * was written, never what a variable expanded to, so secrets stay out of
 * error messages.
 *
 * @module
 */

import type { IssueList } from "../config/issues.ts";
import type { YEntry, YNode } from "../config/parse.ts";
import { didYouMean } from "../config/suggest.ts";
import * as v from "../config/values.ts";
import {
  ALERT_EVENTS,
  type AlertEventName,
  type AlertsConfig,
  type ChannelConfig,
  type FlapConfig,
  NO_ALERTS,
  type RuleConfig,
} from "./types.ts";
import { type Ctx, type EnvLookup, Reader, readKeys } from "./_config_reader.ts";
import { validateChannel } from "./channel_config.ts";

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

/** Rules without `events:` alert on these. */
export const DEFAULT_EVENTS: readonly AlertEventName[] = ["crashed", "fatal", "flapping"];

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
