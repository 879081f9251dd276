/**
 * Helpers for tests of the TCP listener: the URL a daemon logged, and
 * requests with or without credentials.
 */
import type { TestDaemon } from "./daemon.ts";
import { waitFor } from "./wait_for.ts";

/** The listener's base URL, from the daemon's event log. */
export function listenerUrl(daemon: TestDaemon): Promise<string> {
  return waitFor(async () => {
    const match = /http: listening on (https?:\/\/\S+?)[ ,]/.exec(await daemon.eventLog());
    return match?.[1] ?? null;
  }, "the http listener's address in the event log");
}

/** `Authorization: Basic …` for user:password. */
export function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${btoa(`${user}:${password}`)}` };
}
