/**
 * A worker's body: loads one config file and posts the result back. See
 * {@link ./load_off_thread.ts}.
 *
 * @module
 */

import { loadConfig } from "./load.ts";

// A worker's global scope, typed here so the module checks under the main lib.
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<string>) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
};

scope.onmessage = async (event) => {
  scope.postMessage(await loadConfig(event.data));
  scope.close();
};
