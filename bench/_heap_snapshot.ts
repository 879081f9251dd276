/**
 * Reading a V8 heap snapshot (the `.heapsnapshot` JSON the inspector's
 * `HeapProfiler.takeHeapSnapshot` streams) into what it holds by kind: the
 * "Summary" view of Chrome's DevTools, self (shallow) sizes only. Two
 * snapshots of one daemon at two sizes give what each extra instance costs.
 *
 * @module
 */

/** The parts of a `.heapsnapshot` this module reads. */
export interface HeapSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      location_fields?: string[];
    };
  };
  nodes: number[];
  strings: string[];
  locations?: number[];
}

/** Objects of one kind: how many, and their self size in bytes. */
export interface Tally {
  count: number;
  bytes: number;
}

/**
 * What a node is counted as: an object by its constructor, a function by
 * its name and where it was written (`read (output/relay.ts:30)`), anything
 * else (strings, arrays, compiled code, numbers) by its V8 type. A function
 * V8 made itself (a promise's resolve and reject) has no script:
 * "(builtin)".
 */
function kindOf(type: string, name: string, where: string | undefined): string {
  switch (type) {
    case "object":
    case "native":
      return name.startsWith("system / Context") ? "closure scope (Context)" : name;
    case "closure":
      return `function ${name || "(anonymous)"} (${where ?? "builtin"})`;
    case "concatenated string":
    case "sliced string":
      return "string";
    default:
      return type;
  }
}

/**
 * Tallies a snapshot by kind. `scriptUrl` names a script id (from the
 * inspector's `Debugger.scriptParsed`), as it should be shown.
 */
export function tally(
  snapshot: HeapSnapshot,
  scriptUrl: (id: number) => string | undefined = () => undefined,
): Map<string, Tally> {
  const meta = snapshot.snapshot.meta;
  const fields = meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const types = meta.node_types[0];

  const where = new Map<number, string>();
  const locationFields = meta.location_fields ?? [];
  const locations = snapshot.locations ?? [];
  const objectAt = locationFields.indexOf("object_index");
  const scriptAt = locationFields.indexOf("script_id");
  const lineAt = locationFields.indexOf("line");
  for (let i = 0; i + locationFields.length <= locations.length; i += locationFields.length) {
    const url = scriptUrl(locations[i + scriptAt]!);
    if (url !== undefined) {
      where.set(locations[i + objectAt]!, `${url}:${locations[i + lineAt]! + 1}`);
    }
  }

  const tallies = new Map<string, Tally>();
  const { nodes, strings } = snapshot;
  for (let i = 0; i + width <= nodes.length; i += width) {
    const kind = kindOf(types[nodes[i + typeAt]!]!, strings[nodes[i + nameAt]!]!, where.get(i));
    const entry = tallies.get(kind);
    if (entry === undefined) tallies.set(kind, { count: 1, bytes: nodes[i + sizeAt]! });
    else {
      entry.count++;
      entry.bytes += nodes[i + sizeAt]!;
    }
  }
  return tallies;
}

/** One kind's growth per instance between two snapshots. */
export interface Growth {
  kind: string;
  bytesPerInstance: number;
  objectsPerInstance: number;
}

/**
 * What each instance added, kind by kind: `(large − small) / instances`,
 * biggest first. Kinds that shrank are kept (a negative row is a finding
 * too) but sort last.
 */
export function growthPerInstance(
  small: Map<string, Tally>,
  large: Map<string, Tally>,
  instances: number,
): Growth[] {
  const kinds = new Set([...small.keys(), ...large.keys()]);
  const rows: Growth[] = [];
  for (const kind of kinds) {
    const before = small.get(kind) ?? { count: 0, bytes: 0 };
    const after = large.get(kind) ?? { count: 0, bytes: 0 };
    rows.push({
      kind,
      bytesPerInstance: (after.bytes - before.bytes) / instances,
      objectsPerInstance: (after.count - before.count) / instances,
    });
  }
  return rows.sort((a, b) => b.bytesPerInstance - a.bytesPerInstance);
}

/** The total self size of a tally, in bytes. */
export function totalBytes(tallies: Map<string, Tally>): number {
  let sum = 0;
  for (const { bytes } of tallies.values()) sum += bytes;
  return sum;
}
