/**
 * Turns supervision events into alerts: matches rules, applies cooldowns,
 * hourly caps and batching, builds payloads and hands them to each
 * channel's queue. The supervisor only calls {@link AlertManager.processChange}
 * and {@link AlertManager.daemonEvent}, which never wait on delivery.
 * Delivery is channel_queues.ts's, batching digest_batches.ts's.
 *
 * @module
 */

import type { AlertTestResult, StateChange } from "../api/protocol.ts";
import type { ProgramConfig } from "../config/types.ts";
import type { Spawner } from "../process/spawner.ts";
import type { ProcessSnapshot } from "../process/snapshot.ts";
import { ChannelQueues } from "./channel_queues.ts";
import { eventsOfChange, FlapTracker, isAutomaticRestart } from "./classify.ts";
import { DigestBatches } from "./digest_batches.ts";
import { globMatch } from "../util/glob_match.ts";
import { type AlertFacts, buildPayload, daemonFacts } from "./payload.ts";
import { RuleGate } from "./throttle.ts";
import {
  type AlertEventName,
  type AlertsConfig,
  type ChannelStats,
  NO_ALERTS,
  type RuleConfig,
} from "./types.ts";

/** What an instance looks like to the alert manager at the moment of a change. */
export interface InstanceView {
  readonly snapshot: ProcessSnapshot;
  readonly config: ProgramConfig;
  /** `status`'s description line. */
  description(): string;
}

/** The manager's ports. */
export interface AlertDeps {
  readonly now: () => number;
  readonly host: string;
  readonly log: (level: "info" | "warning" | "error", message: string) => void;
  /** Starts exec channels' commands (so the orphan reaper leaves them to Deno). */
  readonly spawner: Spawner;
  /** The last lines of an instance's stdout and stderr (empty when discarded). */
  readonly tail: (instance: string) => Promise<{ stdout: string[]; stderr: string[] }>;
}

/** Alerting for one daemon. */
export class AlertManager {
  #deps: AlertDeps;
  #config: AlertsConfig = NO_ALERTS;
  readonly #queues: ChannelQueues;
  #gates = new Map<string, RuleGate>();
  readonly #batches: DigestBatches;
  #flaps = new FlapTracker();
  #lastPid = new Map<string, number>();
  #secrets: string[] = [];
  // Payloads are built (log tails read) one after another, so channels see events in order.
  #pipeline: Promise<void> = Promise.resolve();

  constructor(config: AlertsConfig, deps: AlertDeps) {
    this.#deps = deps;
    this.#queues = new ChannelQueues({ ...deps, redact: (text) => this.redact(text) });
    this.#batches = new DigestBatches({
      now: deps.now,
      host: deps.host,
      deliver: (rule, message) => this.#queues.deliver(rule.channels, message),
    });
    this.configure(config);
  }

  /** Applies a (re)loaded `alerts:` section; unchanged channels keep their queue. */
  configure(config: AlertsConfig): void {
    this.#batches.flushAll();
    // Longest first: a secret that contains another is hidden whole.
    this.#secrets = [...config.channels.values()].flatMap((c) => c.secrets)
      .sort((a, b) => b.length - a.length);
    this.#queues.configure(config.channels.values());
    const gates = new Map<string, RuleGate>();
    for (const rule of config.rules) {
      const key = ruleKey(rule);
      gates.set(key, this.#gates.get(key) ?? new RuleGate(rule.cooldown, rule.maxPerHour));
    }
    this.#gates = gates;
    this.#config = config;
  }

  /** Pids seen before this manager existed (the daemon creates it on first need). */
  rememberPids(pids: ReadonlyMap<string, number>): void {
    for (const [name, pid] of pids) if (!this.#lastPid.has(name)) this.#lastPid.set(name, pid);
  }

  /** Replaces every secret of the configured channels in `text` by `***`. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join("***");
    return out;
  }

  /**
   * Called synchronously for every announced state change, while the
   * snapshot is still the one that caused it. Returns at once.
   */
  processChange(change: StateChange, instance: InstanceView): void {
    if (change.pid !== null) this.#lastPid.set(change.name, change.pid);
    if (this.#config.rules.length === 0) return;
    const snap = instance.snapshot;
    const events = eventsOfChange(change, snap);
    const flap = instance.config.flap;
    if (flap !== null && isAutomaticRestart(change)) {
      if (this.#flaps.restarted(change.name, change.at, flap)) events.push("flapping");
    }
    if (events.length === 0) return;
    const description = instance.description();
    const uptime = snap.startedAt === null || change.from === "STOPPED"
      ? null
      : Math.max(0, Math.round((change.at - snap.startedAt) / 100) / 10);
    const exited = events.includes("crashed") || events.includes("exited");
    for (const event of events) {
      this.#emit({
        event,
        time: new Date(change.at).toISOString(),
        program: change.program,
        instance: change.name,
        pid: change.pid ?? this.#lastPid.get(change.name) ?? null,
        from_state: change.from,
        to_state: change.to,
        exit_code: exited || event === "fatal" || event === "backoff" ? snap.exitcode : null,
        signal: exited || event === "fatal" || event === "backoff" ? snap.signal : null,
        expected: exited ? snap.expected === true && snap.signal === null : null,
        tries: event === "fatal" ? instance.config.startretries + 1 : snap.backoff,
        uptime_s: exited || event === "started" ? uptime : null,
        description: event === "flapping"
          ? `${change.name} restarted more than ${flap?.restarts} times in ${flap?.within} s`
          : description,
      });
    }
  }

  /**
   * An event about an instance that is not a state change: `unhealthy`
   * when a health check fails (the caller passes the check's one-line reason).
   */
  instanceEvent(event: AlertEventName, name: string, instance: InstanceView, reason: string): void {
    if (this.#config.rules.length === 0) return;
    const snap = instance.snapshot;
    this.#emit({
      event,
      time: new Date(this.#deps.now()).toISOString(),
      program: instance.config.name,
      instance: name,
      pid: snap.pid ?? this.#lastPid.get(name) ?? null,
      from_state: snap.state,
      to_state: snap.state,
      exit_code: null,
      signal: null,
      expected: null,
      tries: snap.backoff,
      uptime_s: snap.pid === null || snap.startedAt === null
        ? null
        : Math.max(0, Math.round((this.#deps.now() - snap.startedAt) / 100) / 10),
      description: this.redact(reason),
    });
  }

  /** An event about the daemon itself (`daemon_started`, `config_error`…). */
  daemonEvent(event: AlertEventName, description: string): void {
    if (this.#config.rules.length === 0) return;
    this.#emit(daemonFacts(event, this.#deps.now(), this.redact(description)));
  }

  #emit(facts: AlertFacts): void {
    const now = this.#deps.now();
    for (const rule of this.#config.rules) {
      if (facts.event === "test" || !rule.events.has(facts.event)) continue;
      if (facts.program !== null && facts.instance !== null) {
        const { program, instance } = facts;
        if (!rule.programs.some((g) => globMatch(g, program) || globMatch(g, instance))) continue;
      }
      const key = ruleKey(rule);
      const admitted = this.#gates.get(key)?.admit(`${facts.instance ?? ""}|${facts.event}`, now);
      if (admitted == null) continue;
      this.#pipeline = this.#pipeline.then(async () => {
        const tail = await this.#tail(facts.instance);
        const payload = buildPayload(facts, this.#deps.host, tail, admitted.suppressed);
        if (rule.batch > 0) this.#batches.add(key, rule, payload);
        else this.#queues.deliver(rule.channels, { kind: "single", payload });
      }).catch((error) => {
        // One bad event must not stop the chain (every later alert would be lost).
        this.#deps.log("error", `alerts: ${error instanceof Error ? error.message : error}`);
      });
    }
  }

  async #tail(instance: string | null): Promise<{ stdout: string[]; stderr: string[] }> {
    if (instance === null) return { stdout: [], stderr: [] };
    try {
      return await this.#deps.tail(instance);
    } catch {
      // The instance may be gone (removed by a reload): no tail then.
      return { stdout: [], stderr: [] };
    }
  }

  /** Sends a sample alert to one channel now and reports the outcome. */
  async test(channel: string): Promise<AlertTestResult> {
    // An unknown channel: sendNow throws BAD_NAME (the payload is only built).
    const payload = buildPayload(
      daemonFacts("test", this.#deps.now(), `test alert from taskmaster to channel "${channel}"`),
      this.#deps.host,
      { stdout: [], stderr: [] },
      0,
    );
    const error = await this.#queues.sendNow(channel, { kind: "single", payload });
    return error === null ? { channel, ok: true } : { channel, ok: false, error };
  }

  /** Per-channel counters, in config order. */
  stats(): ChannelStats[] {
    return this.#queues.stats();
  }

  /** Sends pending batches and waits up to `ms` for the queues to drain, then closes them. */
  async close(ms: number): Promise<void> {
    await this.#pipeline;
    this.#batches.flushAll();
    await this.#queues.close(this.#deps.now() + ms);
  }
}

/** A rule's identity across reloads: an unchanged rule keeps its cooldowns and window. */
function ruleKey(rule: RuleConfig): string {
  return JSON.stringify([
    rule.index,
    [...rule.events].sort(),
    rule.programs,
    rule.channels,
    rule.cooldown,
    rule.batch,
    rule.maxPerHour,
  ]);
}
