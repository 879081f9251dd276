/**
 * The `eventlisteners:` section: supervisord's `[eventlistener:x]` pools.
 * Each entry takes a program's options plus `events:` (the event types it
 * subscribes to) and `buffer_size:` (events kept while no listener is
 * ready). A listener's stdout is its protocol channel, so `stdout:` cannot
 * be set; its priority defaults to -1 (started first, stopped last).
 *
 * @module
 */

import { monitorFields, spawnAffectingChanged } from "./diff.ts";
import type { Pos, YNode } from "./parse.ts";
import { checkProgramName, type ProgramContext, validateProgram } from "./program.ts";
import type { EventListenerConfig } from "./types.ts";
import * as v from "./values.ts";

/** Every event type supervisor 4.2.5 knows; abstract ones subscribe to their whole family. */
export const EVENT_TYPES = [
  "EVENT",
  "PROCESS_STATE",
  "PROCESS_STATE_STOPPED",
  "PROCESS_STATE_EXITED",
  "PROCESS_STATE_STARTING",
  "PROCESS_STATE_STOPPING",
  "PROCESS_STATE_BACKOFF",
  "PROCESS_STATE_FATAL",
  "PROCESS_STATE_RUNNING",
  "PROCESS_STATE_UNKNOWN",
  "PROCESS_COMMUNICATION",
  "PROCESS_COMMUNICATION_STDOUT",
  "PROCESS_COMMUNICATION_STDERR",
  "PROCESS_LOG",
  "PROCESS_LOG_STDOUT",
  "PROCESS_LOG_STDERR",
  "REMOTE_COMMUNICATION",
  "SUPERVISOR_STATE_CHANGE",
  "SUPERVISOR_STATE_CHANGE_RUNNING",
  "SUPERVISOR_STATE_CHANGE_STOPPING",
  "TICK",
  "TICK_5",
  "TICK_60",
  "TICK_3600",
  "PROCESS_GROUP",
  "PROCESS_GROUP_ADDED",
  "PROCESS_GROUP_REMOVED",
] as const;

const LISTENER_KEYS = ["events", "buffer_size"] as const;

/**
 * Validates the `eventlisteners:` node into pools by name. `taken` holds the
 * program names (a listener may not reuse one).
 */
export function validateEventListeners(
  node: YNode | undefined,
  ctx: ProgramContext,
  taken: ReadonlyMap<string, Pos>,
): Map<string, EventListenerConfig> {
  const pools = new Map<string, EventListenerConfig>();
  if (node === undefined || (node.kind === "scalar" && node.value === null)) return pools;
  const { issues } = ctx;
  if (node.kind !== "map") {
    issues.add(
      node.pos,
      null,
      "eventlisteners",
      `expected a mapping of listener names to options, got ${v.describe(node)}`,
    );
    return pools;
  }
  for (const e of node.entries) {
    const name = e.key;
    if (!checkProgramName(name, e.keyPos, issues)) continue;
    const clash = taken.get(name);
    if (clash !== undefined) {
      issues.add(e.keyPos, name, null, `name already used by a program (line ${clash.line})`);
      continue;
    }
    if (pools.has(name)) {
      issues.add(e.keyPos, name, null, "duplicate event listener");
      continue;
    }
    const pool = validatePool(name, e.keyPos, e.value, ctx);
    if (pool !== undefined) pools.set(name, pool);
  }
  return pools;
}

function validatePool(
  name: string,
  namePos: Pos,
  node: YNode,
  ctx: ProgramContext,
): EventListenerConfig | undefined {
  const { issues } = ctx;
  const before = issues.count;
  const program = validateProgram(name, namePos, node, ctx, LISTENER_KEYS);
  if (node.kind !== "map") return undefined;
  const entry = (key: string) => node.entries.find((x) => x.key === key);
  const eventsEntry = entry("events");
  const events: string[] = [];
  if (eventsEntry === undefined) {
    issues.add(namePos, name, "events", `missing required key "events" (e.g. [PROCESS_STATE])`);
  } else {
    const items = eventsEntry.value.kind === "seq" ? eventsEntry.value.items : [eventsEntry.value];
    for (const item of items) {
      const text = item.kind === "scalar" && typeof item.value === "string"
        ? item.value.trim().toUpperCase()
        : undefined;
      if (text === undefined || !(EVENT_TYPES as readonly string[]).includes(text)) {
        issues.add(
          item.pos,
          name,
          "events",
          `unknown event type ${v.describe(item)} (expected one of ${EVENT_TYPES.join(", ")})`,
        );
      } else if (!events.includes(text)) {
        events.push(text);
      }
    }
    if (items.length === 0) issues.add(eventsEntry.keyPos, name, "events", "no event types listed");
  }
  const bufferEntry = entry("buffer_size");
  const bufferSize = bufferEntry === undefined
    ? 10
    : v.integer(bufferEntry.value, issues.reporter(bufferEntry.value, name, "buffer_size"), 1);
  const stdout = entry("stdout");
  if (stdout !== undefined) {
    issues.add(
      stdout.keyPos,
      name,
      "stdout",
      "an event listener's stdout is its protocol channel to taskmaster; it cannot be redirected",
    );
  }
  if (program === undefined || issues.count !== before || bufferSize === undefined) {
    return undefined;
  }
  return {
    program: entry("priority") === undefined ? { ...program, priority: -1 } : program,
    events,
    bufferSize,
  };
}

/** Whether a pool subscribed to `subscription` receives an event named `name`. */
export function subscribes(subscription: string, name: string): boolean {
  return subscription === "EVENT" || subscription === name || name.startsWith(`${subscription}_`);
}

/** Whether two pool configs would run the same listeners on the same events. */
export function samePool(a: EventListenerConfig, b: EventListenerConfig): boolean {
  const events = (c: EventListenerConfig) => [...c.events].sort().join(",");
  return events(a) === events(b) && a.bufferSize === b.bufferSize &&
    !spawnAffectingChanged(a.program, b.program) &&
    monitorFields(a.program, b.program).length === 0;
}
