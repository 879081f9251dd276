/**
 * The floor as a third "supervisor" of the bench: bench/floor.c, a C
 * posix_spawn respawner (compiled here with `cc` once per bench run), whose
 * children's stdout is a plain redirect to the file. It has no config, log
 * or socket, so it takes part only in the scenarios that measure the kernel's
 * share (spawn, memory, restart, stop, capture); it is driven by signals and
 * answers on its stdout.
 *
 * @module
 */

import { split } from "shlex";
import { type Daemon, DaemonProcess, type ProgramSpec } from "./_common.ts";

const SOURCE = new URL("./floor.c", import.meta.url).pathname;
let compiled: Promise<string> | null = null;

/** Compiles bench/floor.c (once per process) and returns the binary's path. */
export function floorBinary(): Promise<string> {
  compiled ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "floor_bin_" });
    const binary = `${dir}/floor`;
    const out = await new Deno.Command("cc", {
      args: ["-O2", "-Wall", "-o", binary, SOURCE],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`cc ${SOURCE} failed:\n${new TextDecoder().decode(out.stderr)}`);
    }
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch {
        // already gone
      }
    });
    return binary;
  })();
  return compiled;
}

class FloorDaemon extends DaemonProcess implements Daemon {
  readonly kind = "floor" as const;
  readonly applyConfigWords = [] as const;
  readonly #lines: ReadableStreamDefaultReader<string>;
  #buffered = "";

  constructor(dir: string, child: Deno.ChildProcess, launchedAt: number) {
    super(dir, child, launchedAt);
    this.#lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** Waits for the next answer line `want` on the floor's stdout. */
  async #expect(want: string): Promise<void> {
    for (;;) {
      const nl = this.#buffered.indexOf("\n");
      if (nl >= 0) {
        const line = this.#buffered.slice(0, nl);
        this.#buffered = this.#buffered.slice(nl + 1);
        if (line === want) return;
        continue;
      }
      const { value, done } = await this.#lines.read();
      if (done) throw new Error(`floor exited before saying ${want}:\n${await this.stderr}`);
      this.#buffered += value;
    }
  }

  protected override released(): void {
    this.#lines.cancel().catch(() => {});
  }

  ready(): Promise<void> {
    return this.#expect("ready");
  }

  async stopAll(): Promise<void> {
    const answer = this.#expect("stopped");
    Deno.kill(this.pid, "SIGUSR1");
    await answer;
  }

  async start(_name: string): Promise<void> {
    const answer = this.#expect("started");
    Deno.kill(this.pid, "SIGUSR2");
    await answer;
  }

  /** The floor has no start time: a child that exists is running. */
  stateOf(_name: string): Promise<string> {
    return Promise.resolve("RUNNING");
  }

  statusAll(): Promise<number> {
    return Promise.reject(new Error("the floor has no status"));
  }

  writeConfig(): Promise<void> {
    return Promise.reject(new Error("the floor has no config file"));
  }

  clientArgv(): string[] {
    throw new Error("the floor has no client");
  }
}

/** Starts the floor on one program (its numprocs copies of cmd), not waiting for it. */
export async function launchFloor(programs: readonly ProgramSpec[]): Promise<Daemon> {
  if (programs.length !== 1) throw new Error("the floor runs exactly one program");
  const p = programs[0]!;
  const binary = await floorBinary();
  const dir = await Deno.makeTempDir({ prefix: "floor_bench_" });
  const args = [
    String(p.numprocs ?? 1),
    p.stdout ?? "-",
    p.autostart === false ? "0" : "1",
    p.autorestart === "never" ? "0" : "1",
    ...split(p.cmd),
  ];
  const launchedAt = performance.now();
  const child = new Deno.Command(binary, {
    args,
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return new FloorDaemon(dir, child, launchedAt);
}
