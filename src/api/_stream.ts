/**
 * Turns the port's live async iterables (follow, logFollow, events) into HTTP
 * response bodies that end cleanly in every way a stream can end: the port's
 * iterable finishes, the client disconnects (the body is cancelled), or the
 * server closes (the `closing` signal aborts). In every case the AbortSignal
 * handed to the port is aborted, so the supervisor drops its watcher.
 *
 * @module
 */

/** How the items of one stream are written on the wire. */
export interface StreamEncoding<T> {
  readonly contentType: string;
  /** Bytes of one item. */
  encode(item: T): Uint8Array;
  /** Sent first, so headers and something visible flush at once. */
  readonly prelude?: Uint8Array;
  /** Sent every `heartbeatMs` while idle; lets a dead client be noticed. */
  readonly heartbeat?: Uint8Array;
  /**
   * The last bytes to send when the port's iterable throws mid-stream, or
   * null to break the connection instead (raw byte streams have no framing
   * to carry an error).
   */
  encodeError(error: unknown): Uint8Array | null;
}

/** Options for {@link openStream}. */
export interface OpenStreamOptions {
  /** Aborted when the server closes: every open stream ends. */
  readonly closing?: AbortSignal;
  /** @default 15000 */
  readonly heartbeatMs?: number;
}

type Settled<T> = { readonly result: IteratorResult<T> } | { readonly error: unknown };

function settle<T>(promise: Promise<IteratorResult<T>>): Promise<Settled<T>> {
  return promise.then((result) => ({ result }), (error: unknown) => ({ error }));
}

/**
 * Opens the port's stream with `open(signal)` and answers with a streaming
 * 200 response. The port resolves once its stream is live, or rejects
 * (BAD_NAME, NO_FILE, SHUTTING_DOWN…) before anything is streamed: that
 * error is thrown here so the caller answers 404/409/503 instead of 200.
 */
export async function openStream<T>(
  open: (signal: AbortSignal) => AsyncIterable<T> | Promise<AsyncIterable<T>>,
  encoding: StreamEncoding<T>,
  options: OpenStreamOptions = {},
): Promise<Response> {
  const abort = new AbortController();
  const { closing } = options;
  if (closing?.aborted) abort.abort();
  const onClosing = () => abort.abort();
  closing?.addEventListener("abort", onClosing, { once: true });
  let iterator: AsyncIterator<T>;
  try {
    iterator = (await open(abort.signal))[Symbol.asyncIterator]();
  } catch (error) {
    abort.abort();
    closing?.removeEventListener("abort", onClosing);
    throw error;
  }
  let pending = settle(iterator.next());

  const aborted = new Promise<"aborted">((resolve) => {
    if (abort.signal.aborted) resolve("aborted");
    abort.signal.addEventListener("abort", () => resolve("aborted"), { once: true });
  });
  let timer: ReturnType<typeof setInterval> | undefined;
  let finished = false;
  let nextPending = true;
  const finish = () => {
    if (finished) return;
    finished = true;
    abort.abort();
    clearInterval(timer);
    closing?.removeEventListener("abort", onClosing);
    // A generator parked at a yield only runs its finally blocks on return().
    if (!nextPending) iterator.return?.()?.catch(() => {});
  };

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (encoding.prelude) controller.enqueue(encoding.prelude);
      const { heartbeat } = encoding;
      if (heartbeat) {
        timer = setInterval(() => {
          if (!finished) controller.enqueue(heartbeat);
        }, options.heartbeatMs ?? 15_000);
      }
    },
    async pull(controller) {
      if (finished) return;
      // Race the port against the abort: a port slow to notice the signal
      // must not keep the response (and so server shutdown) hanging.
      const outcome = await Promise.race([pending, aborted]);
      nextPending = false;
      if (finished) return;
      if (outcome === "aborted") {
        finish();
        controller.close();
      } else if ("error" in outcome) {
        const last = encoding.encodeError(outcome.error);
        finish();
        if (last === null) {
          controller.error(outcome.error);
        } else {
          controller.enqueue(last);
          controller.close();
        }
      } else if (outcome.result.done) {
        finish();
        controller.close();
      } else {
        controller.enqueue(encoding.encode(outcome.result.value));
        nextPending = true;
        pending = settle(iterator.next());
      }
    },
    cancel() {
      // The client went away (or the server is tearing the connection down).
      finish();
    },
  });
  return new Response(body, {
    headers: {
      "content-type": encoding.contentType,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}

const encoder = new TextEncoder();

/** One Server-Sent Event; JSON data never contains a raw newline. */
export function sseEvent(event: string, data: unknown): Uint8Array {
  return encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** SSE comment lines: ignored by every SSE client. */
export function sseComment(text: string): Uint8Array {
  return encoder.encode(`: ${text}\n\n`);
}
