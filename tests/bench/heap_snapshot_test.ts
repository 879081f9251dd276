import assert from "node:assert/strict";
import {
  growthPerInstance,
  type HeapSnapshot,
  tally,
  totalBytes,
} from "../../bench/_heap_snapshot.ts";

/**
 * A snapshot in V8's layout: nodes are flat rows of `node_fields`, names
 * index `strings`, locations are rows of `location_fields` whose
 * object_index is a node's offset in `nodes`.
 */
function snapshotOf(
  rows: [type: string, name: string, size: number][],
  locations: [row: number, script: number, line: number][] = [],
): HeapSnapshot {
  const types = ["hidden", "array", "string", "object", "code", "closure", "concatenated string"];
  const fields = ["type", "name", "id", "self_size", "edge_count"];
  const strings: string[] = [];
  const nodes: number[] = [];
  rows.forEach(([type, name, size], id) => {
    let at = strings.indexOf(name);
    if (at < 0) at = strings.push(name) - 1;
    nodes.push(types.indexOf(type), at, id, size, 0);
  });
  return {
    snapshot: {
      meta: {
        node_fields: fields,
        node_types: [types],
        location_fields: ["object_index", "script_id", "line", "column"],
      },
    },
    nodes,
    strings,
    locations: locations.flatMap(([row, script, line]) => [row * fields.length, script, line, 0]),
  };
}

Deno.test("tally counts objects by constructor, functions by name and place, the rest by type", () => {
  const snapshot = snapshotOf(
    [
      ["object", "ProcessRunner", 128],
      ["object", "ProcessRunner", 128],
      ["closure", "read", 56],
      ["closure", "", 56],
      ["string", "hello", 24],
      ["concatenated string", "hello world", 32],
      ["object", "system / Context", 40],
    ],
    [[2, 7, 20]],
  );
  const tallies = tally(snapshot, (id) => id === 7 ? "output/byte_source.ts" : undefined);
  assert.deepEqual(Object.fromEntries(tallies), {
    "ProcessRunner": { count: 2, bytes: 256 },
    "function read (output/byte_source.ts:21)": { count: 1, bytes: 56 },
    "function (anonymous) (builtin)": { count: 1, bytes: 56 },
    "string": { count: 2, bytes: 56 },
    "closure scope (Context)": { count: 1, bytes: 40 },
  });
  assert.equal(totalBytes(tallies), 464);
});

Deno.test("growthPerInstance divides what the larger snapshot added by the extra instances", () => {
  const small = tally(snapshotOf([["object", "Promise", 48], ["object", "Gone", 100]]));
  const large = tally(snapshotOf([
    ["object", "Promise", 48],
    ["object", "Promise", 48],
    ["object", "Promise", 48],
    ["object", "ChildProcess", 128],
    ["object", "ChildProcess", 128],
  ]));
  assert.deepEqual(growthPerInstance(small, large, 2), [
    { kind: "ChildProcess", bytesPerInstance: 128, objectsPerInstance: 1 },
    { kind: "Promise", bytesPerInstance: 48, objectsPerInstance: 1 },
    { kind: "Gone", bytesPerInstance: -50, objectsPerInstance: -0.5 },
  ]);
});
