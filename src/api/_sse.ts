/**
 * Reading the API's Server-Sent Event streams (`/v1/events`, `/v1/log/follow`)
 * on the client side, with npm `eventsource-parser`: the WHATWG parsing rules
 * (CR/LF/CRLF line ends, multi-line data, comments, a BOM, fields split
 * across chunks) are its job, not ours. It has no dependencies, so the
 * client's import graph stays small (ctl start-up is benchmarked).
 *
 * @module
 */

import { createParser } from "eventsource-parser";

/** One dispatched event: its type (`message` when unnamed) and data. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/**
 * The events of an SSE body, in order, as they complete. Comments (the
 * server's prelude and keep-alives) and events without data are skipped.
 * Breaking out of the loop cancels the body.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  const ready: SseEvent[] = [];
  const parser = createParser({
    onEvent: (message) => ready.push({ event: message.event ?? "message", data: message.data }),
  });
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    while (ready.length > 0) yield ready.shift()!;
  }
}
