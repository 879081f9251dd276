/**
 * The recent events of each instance (the event log's lines about it), kept
 * in memory so `why` can explain a state without reading the log file.
 *
 * @module
 */

/** One recorded event. */
export interface HistoryEntry {
  /** Epoch ms. */
  readonly at: number;
  readonly level: "info" | "warning" | "error";
  readonly message: string;
}

/** Events kept per instance; older ones are dropped. */
export const HISTORY_LENGTH = 50;

/** A bounded list of events per instance name. */
export class InstanceHistory {
  #entries = new Map<string, HistoryEntry[]>();

  record(name: string, entry: HistoryEntry): void {
    let list = this.#entries.get(name);
    if (list === undefined) this.#entries.set(name, list = []);
    list.push(entry);
    if (list.length > HISTORY_LENGTH) list.splice(0, list.length - HISTORY_LENGTH);
  }

  /** Oldest first. */
  of(name: string): readonly HistoryEntry[] {
    return this.#entries.get(name) ?? [];
  }

  forget(name: string): void {
    this.#entries.delete(name);
  }
}
