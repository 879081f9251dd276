/**
 * Turns supervision events into alerts: matches rules, applies cooldowns,
 * hourly caps and batching, builds payloads and hands them to each
 * channel's queue. The supervisor only calls {@link AlertManager.processChange}
 * and {@link AlertManager.daemonEvent}, which never wait on delivery.
 *
 * @module
 */

import type { AlertTestResult, StateChange } from "../api/protocol.ts";
import { TaskmasterError } from "../util/errors.ts";
import type { ProgramConfig } from "../config/types.ts";
import type { Spawner } from "../process/spawner.ts";
import type { ProcessSnapshot } from "../process/snapshot.ts";
import type { Sender } from "./channels/sender.ts";
import { eventsOfChange, FlapTracker, isAutomaticRestart } from "./classify.ts";
import { globMatch } from "./glob.ts";
import { type AlertFacts, buildPayload, daemonFacts } from "./payload.ts";
import { ChannelQueue } from "./queue.ts";
import { RuleGate } from "./throttle.ts";
import {
  type AlertEventName,
  type AlertPayload,
  type AlertsConfig,
  type ChannelConfig,
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

interface Batch {
  items: AlertPayload[];
  timer: ReturnType<typeof setTimeout>;
  rule: RuleConfig;
}

/** Alerting for one daemon. */
export class AlertManager {
  #deps: AlertDeps;
  #config: AlertsConfig = NO_ALERTS;
  #queues = new Map<string, { queue: ChannelQueue; fingerprint: string }>();
  #gates = new Map<string, RuleGate>();
  #batches = new Map<string, Batch>();
  #flaps = new FlapTracker();
  #lastPid = new Map<string, number>();
  #secrets: string[] = [];
  // Payloads are built (log tails read) one after another, so channels see events in order.
  #pipeline: Promise<void> = Promise.resolve();

  constructor(config: AlertsConfig, deps: AlertDeps) {
    this.#deps = deps;
    this.configure(config);
  }

  /** Applies a (re)loaded `alerts:` section; unchanged channels keep their queue. */
  configure(config: AlertsConfig): void {
    this.#flushBatches();
    const queues = new Map<string, { queue: ChannelQueue; fingerprint: string }>();
    this.#secrets = [...config.channels.values()].flatMap((c) => c.secrets)
      .sort((a, b) => b.length - a.length);
    for (const channel of config.channels.values()) {
      const fingerprint = JSON.stringify([channel.spec, channel.queue]);
      const old = this.#queues.get(channel.name);
      if (old !== undefined && old.fingerprint === fingerprint) {
        queues.set(channel.name, old);
        continue;
      }
      const queue = this.#newQueue(channel);
      if (old !== undefined) {
        queue.inherit(old.queue);
        old.queue.close();
      }
      queues.set(channel.name, { queue, fingerprint });
    }
    for (const [name, old] of this.#queues) if (!queues.has(name)) old.queue.close();
    this.#queues = queues;
    const gates = new Map<string, RuleGate>();
    for (const rule of config.rules) {
      const key = ruleKey(rule);
      gates.set(key, this.#gates.get(key) ?? new RuleGate(rule.cooldown, rule.maxPerHour));
    }
    this.#gates = gates;
    this.#config = config;
  }

  #newQueue(channel: ChannelConfig): ChannelQueue {
    return new ChannelQueue({
      name: channel.name,
      kind: channel.spec.kind,
      sender: this.#sender(channel),
      capacity: channel.queue,
      redact: (text) => this.redact(text),
      log: (message) => this.#deps.log("warning", message),
      now: this.#deps.now,
    });
  }

  // Each kind is imported on its first message: a daemon without email
  // alerts never loads nodemailer (nor node:dgram without syslog).
  #sender(channel: ChannelConfig): Sender {
    const spec = channel.spec;
    switch (spec.kind) {
      case "webhook":
        return lazySender(async () =>
          new (await import("./channels/webhook.ts")).WebhookSender(spec)
        );
      case "email":
        return lazySender(async () => new (await import("./channels/email.ts")).EmailSender(spec));
      case "syslog":
        return lazySender(async () =>
          new (await import("./channels/syslog.ts")).SyslogSender(spec, this.#deps.host)
        );
      case "exec":
        return lazySender(async () =>
          new (await import("./channels/exec.ts")).ExecSender(spec, this.#deps.spawner)
        );
    }
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
        if (rule.batch > 0) this.#addToBatch(key, rule, payload);
        else this.#deliver(rule, { kind: "single", payload });
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

  #deliver(rule: RuleConfig, message: Parameters<ChannelQueue["push"]>[0]): void {
    for (const name of rule.channels) this.#queues.get(name)?.queue.push(message);
  }

  #addToBatch(key: string, rule: RuleConfig, payload: AlertPayload): void {
    const batch = this.#batches.get(key);
    if (batch !== undefined) {
      batch.items.push(payload);
      return;
    }
    const timer = setTimeout(() => this.#flush(key), rule.batch * 1000);
    this.#batches.set(key, { items: [payload], timer, rule });
  }

  #flush(key: string): void {
    const batch = this.#batches.get(key);
    if (batch === undefined) return;
    clearTimeout(batch.timer);
    this.#batches.delete(key);
    this.#deliver(batch.rule, {
      kind: "digest",
      payload: {
        version: 1,
        event: "digest",
        time: new Date(this.#deps.now()).toISOString(),
        host: this.#deps.host,
        count: batch.items.length,
        alerts: batch.items,
      },
    });
  }

  #flushBatches(): void {
    for (const key of [...this.#batches.keys()]) this.#flush(key);
  }

  /** Sends a sample alert to one channel now and reports the outcome. */
  async test(channel: string): Promise<AlertTestResult> {
    const entry = this.#queues.get(channel);
    if (entry === undefined) {
      const known = [...this.#queues.keys()];
      throw new TaskmasterError(
        "BAD_NAME",
        `no such alert channel: ${channel}${
          known.length > 0 ? ` (channels: ${known.join(", ")})` : " (no channels configured)"
        }`,
      );
    }
    const payload = buildPayload(
      daemonFacts("test", this.#deps.now(), `test alert from taskmaster to channel "${channel}"`),
      this.#deps.host,
      { stdout: [], stderr: [] },
      0,
    );
    const error = await entry.queue.sendNow({ kind: "single", payload });
    return error === null ? { channel, ok: true } : { channel, ok: false, error };
  }

  /** Per-channel counters, in config order. */
  stats(): ChannelStats[] {
    return [...this.#queues.values()].map((e) => e.queue.stats());
  }

  /** Sends pending batches and waits up to `ms` for the queues to drain, then closes them. */
  async close(ms: number): Promise<void> {
    await this.#pipeline;
    this.#flushBatches();
    const deadline = this.#deps.now() + ms;
    for (const { queue } of this.#queues.values()) {
      await queue.drained(Math.max(0, deadline - this.#deps.now()));
    }
    for (const { queue } of this.#queues.values()) queue.close();
  }
}

/** A sender made on first use. */
function lazySender(make: () => Promise<Sender>): Sender {
  let made: Promise<Sender> | null = null;
  return {
    send: (message) => (made ??= make()).then((sender) => sender.send(message)),
    close: () => {
      made?.then((sender) => sender.close(), () => {});
    },
  };
}

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
