/**
 * The dashboard's one live stream (server-sent events): a snapshot of every
 * instance when it opens, each state change at once, the CPU/memory figures
 * after every sample (only the rows that changed), and the event log's
 * lines. Holding it open is what makes the daemon sample /proc once a
 * second; closing it stops that.
 *
 * @module
 */

import type { ProcessInfo, StateChange } from "../api/protocol.ts";
import type { UsagePoint } from "../supervisor/resources.ts";
import { fromSubscription } from "../util/channel.ts";

/** What the dashboard reads from the daemon. */
export interface DashboardSource {
  /** Every instance, with fresh figures. */
  status(names?: readonly string[]): Promise<ProcessInfo[]>;
  /** Samples once a second until the returned function is called. */
  watchResources(): () => void;
  onSample(listener: () => void): () => void;
  onChange(listener: (change: StateChange) => void): () => void;
  onLog(listener: (line: string) => void): () => void;
  history(name: string): readonly UsagePoint[];
  /** Daemon facts for the page header. */
  daemon(): { pid: number; version: string; file: string };
}

/** One server-sent event. */
export interface FeedEvent {
  readonly event: "snapshot" | "process" | "tick" | "log";
  readonly data: unknown;
}

/** Compact history for sparklines: CPU % and RSS KiB, oldest first. */
export interface HistoryPoints {
  readonly cpu: number[];
  readonly rss: number[];
}

/** What decides that a row changed enough to be sent again (uptime ticks in the browser). */
function rowKey(p: ProcessInfo): string {
  return JSON.stringify([
    p.state,
    p.pid,
    p.cpu_percent,
    p.rss_bytes,
    p.restarts,
    p.started_at,
    p.state === "RUNNING" ? "" : p.description,
  ]);
}

/** The events of one open dashboard until `signal` aborts. */
export function dashboardFeed(
  source: DashboardSource,
  signal: AbortSignal,
): AsyncIterable<FeedEvent> {
  return fromSubscription<FeedEvent>((push) => {
    const sent = new Map<string, string>();
    const snapshot = async () => {
      const processes = await source.status();
      sent.clear();
      const history: Record<string, HistoryPoints> = {};
      for (const p of processes) {
        sent.set(p.name, rowKey(p));
        const points = source.history(p.name);
        history[p.name] = {
          cpu: points.map((h) => h.cpuPercent),
          rss: points.map((h) => Math.round(h.rssBytes / 1024)),
        };
      }
      push({ event: "snapshot", data: { daemon: source.daemon(), processes, history } });
    };
    // After a sample: the rows whose figures or state moved; a new snapshot
    // when the set of instances changed (a reload added or removed some).
    const tick = async () => {
      const processes = await source.status();
      const names = new Set(processes.map((p) => p.name));
      if (names.size !== sent.size || [...sent.keys()].some((n) => !names.has(n))) {
        return await snapshot();
      }
      const changed = processes.filter((p) => {
        const key = rowKey(p);
        if (sent.get(p.name) === key) return false;
        sent.set(p.name, key);
        return true;
      });
      push({ event: "tick", data: { at: Date.now(), processes: changed } });
    };
    const report = (error: unknown) => push({ event: "log", data: `dashboard feed: ${error}` });
    snapshot().catch(report);
    const unsubscribes = [
      source.onSample(() => void tick().catch(report)),
      source.onChange((change) => {
        source.status([change.name]).then((infos) => {
          for (const p of infos) {
            sent.set(p.name, rowKey(p));
            push({ event: "process", data: p });
          }
        }).catch(() => {/* removed meanwhile: the next tick sends a snapshot */});
      }),
      source.onLog((line) => push({ event: "log", data: line })),
      source.watchResources(),
    ];
    return () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
    };
  }, signal);
}
