/**
 * `deno task bench:heap`: where a daemon's memory per instance goes. Starts
 * the daemon under the inspector with N `sleep` instances for each of two
 * sizes, takes a heap snapshot once all run (after a full GC), and prints,
 * kind by kind (constructor, function and where it was written, strings,
 * arrays, compiled code), what each extra instance added, with V8's
 * heapUsed per instance beside it (RSS is the spawn scenario's: an attached
 * inspector inflates it). `--root` measures another checkout (a
 * worktree of an older commit) with this checkout's flags, for a before and
 * after.
 *
 * ```
 * deno run --allow-all bench/heap.ts [--sizes 100,500] [--top 30] [--root DIR] [--save DIR]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { growthPerInstance, type HeapSnapshot, tally, totalBytes } from "./_heap_snapshot.ts";
import { childrenOf, sleep } from "./_proc.ts";
import { launchTaskmaster } from "./_taskmaster.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    sizes: { type: "string", default: "100,500" },
    top: { type: "string", default: "30" },
    root: { type: "string", default: new URL("..", import.meta.url).pathname },
    save: { type: "string" },
  },
});
const [SMALL, LARGE] = values.sizes.split(",").map(Number) as [number, number];
const ROOT = values.root.replace(/\/$/, "");
const KB = 1024;

function say(line: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`));
}

/** A minimal Chrome DevTools Protocol session over the inspector's WebSocket. */
class Inspector {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, (result: unknown) => void>();
  readonly #chunks: string[] = [];
  readonly scripts = new Map<number, string>();
  #lastId = 0;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.method === "HeapProfiler.addHeapSnapshotChunk") {
        this.#chunks.push(message.params.chunk);
      } else if (message.method === "Debugger.scriptParsed") {
        this.scripts.set(Number(message.params.scriptId), message.params.url);
      } else if (this.#pending.has(message.id)) {
        this.#pending.get(message.id)!(message.result);
        this.#pending.delete(message.id);
      }
    };
  }

  static async open(url: string): Promise<Inspector> {
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    });
    return new Inspector(socket);
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = ++this.#lastId;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** The heap as one parsed snapshot (V8 runs a full GC first). */
  async snapshot(): Promise<{ text: string; parsed: HeapSnapshot }> {
    this.#chunks.length = 0;
    await this.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    const text = this.#chunks.join("");
    return { text, parsed: JSON.parse(text) };
  }

  close(): void {
    this.#socket.close();
  }
}

/** A port nothing listens on now, for the daemon's inspector. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** The WebSocket address of the inspector on `port`, once it answers. */
async function inspectorUrl(port: number): Promise<string> {
  const deadline = performance.now() + 30_000;
  for (;;) {
    try {
      const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
      return targets[0].webSocketDebuggerUrl;
    } catch (error) {
      if (performance.now() > deadline) throw new Error(`no inspector on port ${port}: ${error}`);
      await sleep(100);
    }
  }
}

interface Measure {
  heapUsed: number;
  snapshot: ReturnType<typeof tally>;
}

async function measure(instances: number): Promise<Measure> {
  const port = freePort();
  const daemon = await launchTaskmaster(
    [{ name: "s", cmd: "sleep 100000", numprocs: instances, starttime: 0 }],
    { main: `${ROOT}/main.ts`, denoFlags: [`--inspect=127.0.0.1:${port}`] },
  );
  let inspector: Inspector | null = null;
  try {
    inspector = await Inspector.open(await inspectorUrl(port));
    await daemon.ready();
    // Status every 200 ms meanwhile, as a user's `ctl status` would.
    const deadline = performance.now() + 120_000;
    while (childrenOf(daemon.pid).length < instances) {
      if (performance.now() > deadline) throw new Error(`${instances} instances never all ran`);
      await daemon.statusAll();
      await sleep(200);
    }
    await sleep(2000);
    await inspector.call("HeapProfiler.enable");
    await inspector.call("HeapProfiler.collectGarbage");
    const usage = await inspector.call("Runtime.evaluate", {
      expression: "Deno.memoryUsage().heapUsed",
      returnByValue: true,
    }) as { result: { value: number } };
    await inspector.call("Debugger.enable"); // names the scripts of the functions
    const { text, parsed } = await inspector.snapshot();
    if (values.save) await Deno.writeTextFile(`${values.save}/tm-${instances}.heapsnapshot`, text);
    const scripts = inspector.scripts;
    const short = (id: number) =>
      scripts.get(id)?.replace(`file://${ROOT}/src/`, "").replace(/^.*\/npm\/[^/]+\//, "npm:");
    return { heapUsed: usage.result.value, snapshot: tally(parsed, short) };
  } finally {
    inspector?.close();
    await daemon.close();
  }
}

say(`heap per instance: ${ROOT}, ${SMALL} vs ${LARGE} sleeping instances`);
const small = await measure(SMALL);
const large = await measure(LARGE);
const extra = LARGE - SMALL;
const perInstance = (a: number, b: number) => (b - a) / extra / KB;
say(
  `per instance: V8 heapUsed ${
    perInstance(small.heapUsed, large.heapUsed).toFixed(1)
  } KB, snapshot self sizes ${
    perInstance(totalBytes(small.snapshot), totalBytes(large.snapshot)).toFixed(1)
  } KB`,
);
say("");
say("| bytes / instance | objects / instance | kind |");
say("| ---: | ---: | --- |");
for (const row of growthPerInstance(small.snapshot, large.snapshot, extra).slice(0, +values.top)) {
  say(
    `| ${row.bytesPerInstance.toFixed(0)} | ${row.objectsPerInstance.toFixed(2)} | ${row.kind} |`,
  );
}
