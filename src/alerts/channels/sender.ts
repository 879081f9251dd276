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

/** Rejects after `ms` with "timed out after N s", unless `work` settles first. */
export function withTimeout<T>(work: Promise<T>, ms: number, onTimeout?: () => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new Error(`timed out after ${formatSeconds(ms)}`));
    }, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** `5 s`, `0.5 s`. */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
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
