/**
 * Parameter coercion for XML-RPC methods: a wrong type or a missing
 * parameter is supervisord's INCORRECT_PARAMETERS, never a crash.
 *
 * @module
 */

import type { RpcValue } from "./codec.ts";
import { RpcFault } from "./faults.ts";

/** Parameter `i`, which must be a string. */
export function str(params: RpcValue[], i: number): string {
  const v = params[i];
  if (typeof v !== "string") throw new RpcFault("INCORRECT_PARAMETERS");
  return v;
}

/** Parameter `i` as a string; a number is accepted (`signalProcess(name, 15)`). */
export function anyStr(params: RpcValue[], i: number): string {
  const v = params[i];
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  throw new RpcFault("INCORRECT_PARAMETERS");
}

/** Parameter `i` as an integer; a string of digits is accepted, as Python's int() does. */
export function int(params: RpcValue[], i: number): number {
  const v = params[i];
  if (typeof v === "number") return Math.trunc(v);
  if (typeof v === "string" && /^-?\d+$/.test(v.trim())) return Number(v);
  throw new RpcFault("INCORRECT_PARAMETERS");
}

/** Parameter `i` as a boolean (`wait`), `fallback` when absent. */
export function bool(params: RpcValue[], i: number, fallback: boolean): boolean {
  const v = params[i];
  if (v === undefined) return fallback;
  return Boolean(v);
}
