/**
 * The delivery side of alerting: one {@link ChannelQueue} per configured
 * channel, kept across reloads while the channel is unchanged (a changed
 * one hands its pending messages to the new queue), and each channel's
 * sender loaded on its first message.
 *
 * @module
 */

import type { Spawner } from "../process/spawner.ts";
import { TaskmasterError } from "../util/errors.ts";
import type { Sender } from "./channels/sender.ts";
import { ChannelQueue } from "./queue.ts";
import type { AlertMessage, ChannelConfig, ChannelStats } from "./types.ts";

/** What the queues need from the manager. */
export interface ChannelQueuesDeps {
  readonly now: () => number;
  readonly host: string;
  readonly log: (level: "info" | "warning" | "error", message: string) => void;
  /** Starts exec channels' commands (so the orphan reaper leaves them to Deno). */
  readonly spawner: Spawner;
  /** Hides the channels' secrets in what a queue logs. */
  readonly redact: (text: string) => string;
}

/** Every channel's queue, by channel name, in config order. */
export class ChannelQueues {
  readonly #deps: ChannelQueuesDeps;
  #queues = new Map<string, { queue: ChannelQueue; fingerprint: string }>();

  constructor(deps: ChannelQueuesDeps) {
    this.#deps = deps;
  }

  /** Makes the queues those of `channels`; unchanged channels keep their queue. */
  configure(channels: Iterable<ChannelConfig>): void {
    const queues = new Map<string, { queue: ChannelQueue; fingerprint: string }>();
    for (const channel of channels) {
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
  }

  #newQueue(channel: ChannelConfig): ChannelQueue {
    return new ChannelQueue({
      name: channel.name,
      kind: channel.spec.kind,
      sender: this.#sender(channel),
      capacity: channel.queue,
      redact: this.#deps.redact,
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

  /** Queues `message` on each named channel; never waits. */
  deliver(channels: readonly string[], message: AlertMessage): void {
    for (const name of channels) this.#queues.get(name)?.queue.push(message);
  }

  /** Throws BAD_NAME, listing the channels, when `channel` is not configured. */
  #check(channel: string): void {
    if (this.#queues.has(channel)) return;
    const known = [...this.#queues.keys()];
    throw new TaskmasterError(
      "BAD_NAME",
      `no such alert channel: ${channel}${
        known.length > 0 ? ` (channels: ${known.join(", ")})` : " (no channels configured)"
      }`,
    );
  }

  /** Sends `message` on `channel` now, past its queue; the error, or null once delivered. */
  sendNow(channel: string, message: AlertMessage): Promise<string | null> {
    this.#check(channel);
    return this.#queues.get(channel)!.queue.sendNow(message);
  }

  /** Per-channel counters, in config order. */
  stats(): ChannelStats[] {
    return [...this.#queues.values()].map((e) => e.queue.stats());
  }

  /** Waits until `deadline` (epoch ms) at most for the queues to drain, then closes them. */
  async close(deadline: number): Promise<void> {
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
