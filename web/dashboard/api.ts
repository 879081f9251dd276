/// <reference lib="dom" />
/**
 * The dashboard's calls to the daemon: same-origin fetches to the control API
 * (`/v1`), each state-changing one with the page's CSRF token.
 *
 * @module
 */

/** One instance as the feed and `/v1/processes` describe it. */
export interface ProcessRow {
  name: string;
  program: string;
  index: number;
  state: string;
  pid: number | null;
  uptime: number | null;
  description: string;
  stdout: string | null;
  stderr: string | null;
  cpu_percent: number;
  rss_bytes: number;
  restarts: number;
  started_at: number | null;
}

/** A per-instance result of start/stop/restart/signal. */
export interface ActionResult {
  name: string;
  ok: boolean;
  error?: { code: string; message: string };
}

const token = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";

/** An error the API answered with, carrying its message. */
export class ApiError extends Error {}

async function call(path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined
      ? {}
      : { "content-type": "application/json", "x-csrf-token": token },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // plain text (tails)
  }
  if (!response.ok) {
    const message = (parsed as { error?: { message?: string } })?.error?.message ?? text;
    throw new ApiError(message);
  }
  return parsed;
}

export type Action = "start" | "stop" | "restart";

export function act(action: Action, names: string[]): Promise<ActionResult[]> {
  return call(`/v1/${action}`, { names }) as Promise<ActionResult[]>;
}

export function sendSignal(signal: string, names: string[]): Promise<ActionResult[]> {
  return call("/v1/signal", { signal, names }) as Promise<ActionResult[]>;
}

export function reload(): Promise<Record<string, string[]>> {
  return call("/v1/reload", {}) as Promise<Record<string, string[]>>;
}

export function shutdown(): Promise<unknown> {
  return call("/v1/shutdown", {});
}

export function tail(name: string, stream: string, lines: number): Promise<string> {
  return call(
    `/v1/processes/${encodeURIComponent(name)}/${stream}?lines=${lines}`,
  ) as Promise<string>;
}

export function logTail(lines: number): Promise<string> {
  return call(`/v1/log?lines=${lines}`) as Promise<string>;
}

export function programConfig(name: string): Promise<unknown> {
  return call(`/dashboard/config/${encodeURIComponent(name)}`);
}

/** Live output of one stream, chunk by chunk, until `signal` aborts. */
export async function follow(
  name: string,
  stream: string,
  signal: AbortSignal,
  onText: (text: string) => void,
): Promise<void> {
  const response = await fetch(
    `/v1/processes/${encodeURIComponent(name)}/${stream}/follow`,
    { signal },
  );
  if (!response.ok || response.body === null) throw new ApiError(await response.text());
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onText(value);
  }
}
