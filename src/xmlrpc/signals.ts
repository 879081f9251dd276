/**
 * Signals as supervisord names them on the wire: `signalProcess` takes a
 * number or a name (with or without SIG), and `getAllConfigInfo` reports a
 * stopsignal as its number.
 *
 * @module
 */

import { SIGNAL_NAMES, signalNumberOf } from "../util/signal_numbers.ts";

/** supervisor's `signal_number`: a number or a name with or without SIG. */
export function supervisordSignal(value: string): Deno.Signal | undefined {
  const trimmed = value.trim();
  if (/^-?\d+$/.test(trimmed)) return SIGNAL_NAMES[Number(trimmed)];
  const upper = trimmed.toUpperCase();
  const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  // The aliases Python's signal module knows: supervisord accepts them.
  if (name === "SIGIOT") return "SIGABRT";
  if (name === "SIGPOLL") return "SIGIO";
  return Object.values(SIGNAL_NAMES).find((s) => s === name);
}

/** The number of a signal; SIGTERM's for one we do not list (supervisord's default). */
export function signalNumber(signal: Deno.Signal): number {
  return signalNumberOf(signal) ?? 15;
}
