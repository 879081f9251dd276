/**
 * Runs the real entry point (`main.ts` with the binary's permission flags) as
 * a daemon on a config in a temp dir, and talks to it over its real socket.
 */
import { connectClient } from "../../src/api/client.ts";
import type { ProcessInfo, SupervisorPort } from "../../src/api/protocol.ts";
import { alive, waitFor } from "./wait_for.ts";
import { RUN_FLAGS } from "../../src/permissions.ts";

export const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/**
 * A compiled taskmaster to test instead of the sources (the release workflow sets it to
 * the linux-x64 binary it is about to publish).
 */
export const TASKMASTER_BIN = Deno.env.get("TASKMASTER_BIN") || undefined;

/** `deno run <flags> main.ts args…` (or `$TASKMASTER_BIN args…`) as a Deno.Command. */
export function taskmasterCommand(
  args: string[],
  options: Omit<Deno.CommandOptions, "args"> = {},
): Deno.Command {
  if (TASKMASTER_BIN !== undefined) return new Deno.Command(TASKMASTER_BIN, { args, ...options });
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...RUN_FLAGS, MAIN, ...args],
    ...options,
  });
}

/** Runs taskmaster to completion with optional stdin text. */
export async function runTaskmaster(
  args: string[],
  stdin = "",
  options: Omit<Deno.CommandOptions, "args"> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = taskmasterCommand(args, {
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    ...options,
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Field 22 of /proc/PID/stat, or null when the process is gone. */
function startTime(pid: number): string | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** A temp dir removed on dispose. */
export async function tempDir(): Promise<string & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "tm-" });
  return Object.assign(new String(dir), {
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  }) as unknown as string & AsyncDisposable;
}

/** A daemon running `--no-shell` on `yaml`, stopped (and checked for leftovers) on dispose. */
export class TestDaemon implements AsyncDisposable {
  readonly dir: string;
  readonly config: string;
  readonly socket: string;
  readonly child: Deno.ChildProcess;
  readonly port: SupervisorPort & { close(): void };
  /** Pids seen, each with its start time (a reused pid is someone else's). */
  #seenPids = new Map<number, string | null>();
  #exit: Promise<Deno.CommandStatus>;
  #stdout: Promise<string>;

  private constructor(dir: string, child: Deno.ChildProcess) {
    this.dir = dir;
    this.config = `${dir}/taskmaster.yaml`;
    this.socket = `${dir}/taskmaster.sock`;
    this.child = child;
    this.port = connectClient(this.socket);
    this.#stdout = new Response(child.stdout).text();
    this.#exit = child.status;
  }

  /** Writes `yaml` to a fresh temp dir and starts a daemon on it. */
  static async start(
    yaml: string,
    extraArgs: string[] = [],
    env: Record<string, string> = {},
  ): Promise<TestDaemon> {
    const dir = await Deno.makeTempDir({ prefix: "tm-e2e-" });
    await Deno.writeTextFile(`${dir}/taskmaster.yaml`, yaml);
    const child = taskmasterCommand(["-c", `${dir}/taskmaster.yaml`, "--no-shell", ...extraArgs], {
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
      cwd: dir,
      env,
    }).spawn();
    const daemon = new TestDaemon(dir, child);
    await waitFor(() => daemon.port.daemonPid().then(() => true), { what: "the socket" });
    return daemon;
  }

  async status(names?: string[]): Promise<ProcessInfo[]> {
    const list = await this.port.status(names);
    for (const p of list) if (p.pid !== null) this.#remember(p.pid);
    return list;
  }

  async info(name: string): Promise<ProcessInfo> {
    const found = (await this.status()).find((p) => p.name === name);
    if (found === undefined) throw new Error(`no process ${name}`);
    return found;
  }

  /** Waits until `name` is in `state` (and returns its info). */
  waitState(name: string, state: string, timeout = 60_000): Promise<ProcessInfo> {
    return waitFor(async () => {
      const p = await this.info(name);
      return p.state === state ? p : null;
    }, { timeout, what: `${name} to be ${state}` });
  }

  async writeConfig(yaml: string): Promise<void> {
    await Deno.writeTextFile(this.config, yaml);
  }

  async eventLog(): Promise<string> {
    return await Deno.readTextFile(`${this.dir}/taskmaster.log`).catch(() => "");
  }

  /** Remember a pid (e.g. a grandchild) that must be gone after shutdown. */
  track(pid: number): void {
    this.#remember(pid);
  }

  #remember(pid: number): void {
    if (!this.#seenPids.has(pid)) this.#seenPids.set(pid, startTime(pid));
  }

  /** Seen pids still alive as the same process. */
  #survivors(): number[] {
    return [...this.#seenPids].filter(([pid, start]) =>
      alive(pid) && (start === null || startTime(pid) === start)
    ).map(([pid]) => pid);
  }

  /** SIGTERM, wait for exit; resolves with the exit code and stdout. */
  async stop(): Promise<{ code: number; stdout: string }> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // already gone
    }
    const status = await this.#exit;
    this.port.close();
    return { code: status.code, stdout: await this.#stdout };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.status().catch(() => []);
    await this.stop();
    // A process killed as the daemon exits may take a moment to die on a
    // loaded machine: only one still alive after that is left behind.
    await waitFor(() => this.#survivors().length === 0, { timeout: 5_000 }).catch(() => {});
    const leftovers = this.#survivors();
    for (const pid of leftovers) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
    if (leftovers.length > 0) throw new Error(`processes left behind: ${leftovers.join(", ")}`);
  }
}
