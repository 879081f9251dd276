/**
 * Loads a config file on a worker thread, so a reload of a huge or hostile
 * file (a 1 MB value takes the YAML parser seconds on a loaded machine) never
 * stalls supervision: the event loop keeps answering the socket, restarting
 * crashed programs and capturing output meanwhile. The worker lives for one
 * load. Where no worker can start (a binary built without its module), the
 * load runs on the calling thread, as before.
 *
 * @module
 */

import { loadConfig, type LoadResult } from "./load.ts";

/** {@link loadConfig} on a short-lived worker thread. */
export function loadConfigOffThread(path: string): Promise<LoadResult> {
  let worker: Worker;
  try {
    worker = new Worker(new URL("./load_worker.ts", import.meta.url).href, { type: "module" });
  } catch {
    return loadConfig(path);
  }
  return new Promise((resolve) => {
    worker.onmessage = (event: MessageEvent<LoadResult>) => {
      worker.terminate();
      resolve(event.data);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      resolve(loadConfig(path));
    };
    worker.postMessage(path);
  });
}
