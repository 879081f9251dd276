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

/**
 * A bounded list of events per instance name. Each list is flat (`at`,
 * `level`, `message`, then the next event's) and exactly as long as it
 * holds: an object per event and the 16 spare slots a push reserves cost
 * ~190 B per instance that has had only its spawn and start (issue 17).
 */
export class InstanceHistory {
  #entries = new Map<string, readonly (number | string)[]>();

  record(name: string, entry: HistoryEntry): void {
    const list = this.#entries.get(name) ?? [];
    const kept = list.length < HISTORY_LENGTH * FIELDS ? list : list.slice(FIELDS);
    this.#entries.set(name, kept.concat([entry.at, entry.level, flatCopy(entry.message)]));
  }

  /** Oldest first. */
  of(name: string): readonly HistoryEntry[] {
    const list = this.#entries.get(name);
    if (list === undefined) return [];
    const entries: HistoryEntry[] = [];
    for (let i = 0; i < list.length; i += FIELDS) {
      entries.push({
        at: list[i] as number,
        level: list[i + 1] as HistoryEntry["level"],
        message: list[i + 2] as string,
      });
    }
    return entries;
  }
}

/** Values per event in a list: at, level, message. */
const FIELDS = 3;

/**
 * `text` as one flat string. A message made by a template literal is a
 * tree of V8 "cons" strings, 32 B a node: `spawned: 'web:3' with pid 812`
 * and the `success:` line take ~310 B together, flat ~180 B, and every
 * instance keeps both. The JSON round trip keeps every code unit (a
 * lone surrogate too), unlike a UTF-8 one or normalize().
 */
function flatCopy(text: string): string {
  return JSON.parse(JSON.stringify(text));
}
