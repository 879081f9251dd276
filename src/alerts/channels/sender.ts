/**
 * What every channel implements: deliver one message or throw an Error whose
 * message says why, in one line.
 *
 * @module
 */

import type { AlertMessage } from "../types.ts";

/** Delivers messages of one channel. */
export interface Sender {
  send(message: AlertMessage): Promise<void>;
  /** Releases sockets and transports. */
  close(): void;
}

/** An error's one-line text. */
export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0] ?? text;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
