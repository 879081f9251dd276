/** Accumulates a byte stream as text; `done` settles at EOF. */
export function collect(stream: ReadableStream<Uint8Array>): { text: string; done: Promise<void> } {
  const state = { text: "", done: Promise.resolve() };
  const decoder = new TextDecoder();
  state.done = (async () => {
    for await (const chunk of stream) state.text += decoder.decode(chunk, { stream: true });
  })();
  return state;
}
