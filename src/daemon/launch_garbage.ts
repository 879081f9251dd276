/**
 * Collecting what launching the programs left behind, once, when the launch
 * is over. Launching N programs leaves garbage that grows with N (each spawn
 * rewrites the state file: 1,000 programs left ~7 MB of old large strings
 * and arrays, each in its own mapping); with V8's memory reducer off (no
 * work while idle, permissions.ts) nothing would collect it until the heap
 * grew again, so the daemon does one full collection here (`gc`, exposed by
 * `--expose-gc`).
 *
 * @module
 */

/** The heap before and after, in bytes; null where `gc` is not exposed. */
export interface Collected {
  readonly before: number;
  readonly after: number;
}

/** One full, synchronous garbage collection. */
export function collectLaunchGarbage(): Collected | null {
  const gc = (globalThis as { gc?: (options?: object) => void }).gc;
  if (typeof gc !== "function") return null;
  const before = Deno.memoryUsage().heapTotal;
  gc({ type: "major", execution: "sync", flavor: "last-resort" });
  return { before, after: Deno.memoryUsage().heapTotal };
}
