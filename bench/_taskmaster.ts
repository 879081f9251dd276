/**
 * A private taskmaster daemon for the bench: `main.ts` from source with the
 * binary's permission flags, `--no-shell`, its own YAML config, socket,
 * event log, pidfile and logdir in a temp dir.
 *
 * @module
 */

import { type Daemon, DaemonProcess, type ProgramSpec, unixClient } from "./_common.ts";
import { RUN_FLAGS } from "../src/permissions.ts";

export const MAIN_TS = new URL("../main.ts", import.meta.url).pathname;

/**
 * The checkouts a before-and-after runs: this one, then `others` (worktrees
 * of other commits), each absolute (every daemon runs in a temp directory
 * of its own) and once.
 */
export function checkoutRoots(others: readonly string[]): string[] {
  const realRoot = (root: string) => Deno.realPathSync(root).replace(/\/$/, "");
  return [...new Set([new URL("..", import.meta.url).pathname, ...others].map(realRoot))];
}

/** Which main.ts runs, and Deno flags of the bench's own (`--inspect=…`). */
export interface RunOptions {
  /** Another checkout's main.ts, for a before and after. @default this checkout's */
  readonly main?: string;
  readonly denoFlags?: readonly string[];
  /** `taskmaster:` settings added to the config, e.g. `{ cgroup: "false" }` (YAML values). */
  readonly settings?: Readonly<Record<string, string>>;
}

/** `deno run --quiet <flags> main.ts …args` */
export function taskmasterArgv(args: readonly string[], options: RunOptions = {}): string[] {
  return [
    Deno.execPath(),
    "run",
    "--quiet",
    ...(options.denoFlags ?? []),
    ...RUN_FLAGS,
    options.main ?? MAIN_TS,
    ...args,
  ];
}

/** YAML text of a taskmaster config with `programs`, every path in `dir`. */
export function taskmasterYaml(
  dir: string,
  programs: readonly ProgramSpec[],
  settings: Readonly<Record<string, string>> = {},
): string {
  const lines = [
    "taskmaster:",
    `  socket: ${dir}/tm.sock`,
    `  logfile: ${dir}/tm.log`,
    `  logdir: ${dir}/logs`,
    `  pidfile: ${dir}/tm.pid`,
    ...Object.entries(settings).map(([key, value]) => `  ${key}: ${value}`),
    "programs:",
  ];
  for (const p of programs) {
    const fields = [
      `cmd: ${JSON.stringify(p.cmd)}`,
      `numprocs: ${p.numprocs ?? 1}`,
      `starttime: ${p.starttime}`,
      `startretries: ${p.startretries ?? 3}`,
      `autostart: ${p.autostart ?? true}`,
      `autorestart: ${p.autorestart ?? "unexpected"}`,
      `stoptime: ${p.stoptime ?? 10}`,
      p.stdout
        ? `stdout: ${JSON.stringify(p.stdout)}, stdout_maxbytes: ${p.stdoutMaxBytes ?? 0}, ` +
          `stdout_backups: ${p.stdoutBackups ?? 10}, timestamps: ${p.timestamps ?? false}`
        : "stdout: null",
      "stderr: null",
    ];
    lines.push(`  ${p.name}: { ${fields.join(", ")} }`);
  }
  return lines.join("\n") + "\n";
}

class TaskmasterDaemon extends DaemonProcess implements Daemon {
  readonly kind = "taskmaster" as const;
  readonly applyConfigWords = ["reload"] as const;
  readonly #socket: string;
  readonly #config: string;
  readonly #http: Deno.HttpClient;
  readonly #settings: Readonly<Record<string, string>>;

  constructor(
    dir: string,
    config: string,
    child: Deno.ChildProcess,
    launchedAt: number,
    settings: Readonly<Record<string, string>> = {},
  ) {
    super(dir, child, launchedAt);
    this.#config = config;
    this.#settings = settings;
    this.#socket = `${dir}/tm.sock`;
    this.#http = unixClient(this.#socket);
  }

  protected override released(): void {
    this.#http.close();
  }

  async #call(path: string, init: RequestInit = {}): Promise<unknown> {
    const response = await fetch(`http://localhost/v1${path}`, { ...init, client: this.#http });
    const text = await response.text();
    if (!response.ok) throw new Error(`taskmaster ${path}: HTTP ${response.status} ${text}`);
    return text === "" ? null : JSON.parse(text);
  }

  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      try {
        await this.#call("/daemon");
        await this.#warmClient();
        return;
      } catch (error) {
        if (performance.now() > deadline) {
          throw new Error(
            `taskmaster did not answer on its socket: ${error}\n${await this.#tail()}`,
          );
        }
        if (await this.exitedSoon()) {
          throw new Error(`taskmaster exited during start-up:\n${await this.#tail()}`);
        }
      }
    }
  }

  /**
   * This process's first POST with a body compiles fetch's request-body path
   * (~0.5 ms); supervisord's client has posted by the time it is ready. The
   * route does not exist, so the daemon answers 404 without reading the body
   * and warms nothing of its own.
   */
  async #warmClient(): Promise<void> {
    const response = await fetch("http://localhost/v1/bench-client-warm-up", {
      method: "POST",
      body: JSON.stringify({ names: [] }),
      client: this.#http,
    });
    await response.body?.cancel();
  }

  async #tail(): Promise<string> {
    const log = await Deno.readTextFile(`${this.dir}/tm.log`).catch(() => "");
    return log.split("\n").slice(-10).join("\n");
  }

  async stopAll(): Promise<void> {
    await this.#call("/stop", { method: "POST", body: JSON.stringify({ names: ["all"] }) });
  }

  async start(name: string): Promise<void> {
    await this.#call("/start", { method: "POST", body: JSON.stringify({ names: [name] }) });
  }

  async stateOf(name: string): Promise<string> {
    const list = await this.#call("/processes") as { name: string; state: string }[];
    return list.find((p) => p.name === name)?.state ?? "UNKNOWN-NAME";
  }

  async statusAll(): Promise<number> {
    return (await this.#call("/processes") as unknown[]).length;
  }

  async writeConfig(programs: readonly ProgramSpec[]): Promise<void> {
    await Deno.writeTextFile(this.#config, taskmasterYaml(this.dir, programs, this.#settings));
  }

  clientArgv(words: readonly string[]): string[] {
    return taskmasterArgv(["ctl", "-s", this.#socket, ...words]);
  }
}

/** Starts taskmaster on `programs` in a fresh temp dir (not waiting for it to be ready). */
export async function launchTaskmaster(
  programs: readonly ProgramSpec[],
  options: RunOptions = {},
): Promise<Daemon> {
  const dir = await Deno.makeTempDir({ prefix: "tm_bench_" });
  await Deno.mkdir(`${dir}/logs`);
  const config = `${dir}/tm.yaml`;
  await Deno.writeTextFile(config, taskmasterYaml(dir, programs, options.settings));
  const [cmd, ...args] = taskmasterArgv(["-c", config, "--no-shell"], options);
  const launchedAt = performance.now();
  const child = new Deno.Command(cmd!, {
    args,
    cwd: dir,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const daemon = new TaskmasterDaemon(dir, config, child, launchedAt, options.settings);
  return daemon;
}
