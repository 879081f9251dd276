/**
 * Webhook channel: the payload as a JSON POST. Each attempt has a timeout;
 * a non-2xx answer or a connection error is retried with exponential backoff.
 *
 * @module
 */

import { json } from "../payload.ts";
import type { AlertMessage, WebhookSpec } from "../types.ts";
import { errorMessage, type Sender, sleep } from "./sender.ts";
import { formatSeconds } from "../../util/time_format.ts";

/** POSTs to one URL. */
export class WebhookSender implements Sender {
  readonly #spec: WebhookSpec;

  constructor(spec: WebhookSpec) {
    this.#spec = spec;
  }

  async send(message: AlertMessage): Promise<void> {
    const body = json(message);
    let lastError = "";
    for (let attempt = 0; attempt <= this.#spec.retries; attempt++) {
      if (attempt > 0) await sleep(this.#spec.backoff * 1000 * 2 ** (attempt - 1));
      try {
        await this.#post(body);
        return;
      } catch (error) {
        lastError = fetchError(error);
      }
    }
    const tries = this.#spec.retries + 1;
    throw new Error(`${lastError} (${tries} attempt${tries === 1 ? "" : "s"})`);
  }

  async #post(body: string): Promise<void> {
    const ms = this.#spec.timeout * 1000;
    let response: Response;
    try {
      response = await fetch(this.#spec.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "taskmaster-alerts",
          ...this.#spec.headers,
        },
        body,
        signal: AbortSignal.timeout(ms),
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === "TimeoutError") {
        throw new Error(`timed out after ${formatSeconds(ms)}`);
      }
      throw error;
    }
    // The body is not needed; reading it frees the connection.
    await response.body?.cancel().catch(() => {});
    if (!response.ok) {
      throw new Error(
        `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`,
      );
    }
  }

  close(): void {}
}

/** "fetch failed" alone says nothing: the cause has the reason. */
function fetchError(error: unknown): string {
  let text = errorMessage(error);
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause !== undefined) text = `${text}: ${errorMessage(cause)}`;
  // Deno's fetch errors quote the URL, which may carry a token.
  return text.replace(/ for url \([^)]*\)/g, "").replace(/https?:\/\/\S+/g, "<url>");
}
