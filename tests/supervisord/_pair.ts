/**
 * A real supervisord and a taskmaster running the same supervisord.conf
 * (taskmaster on the config `taskmaster import` makes of it), each in its
 * own temp dir, and the real supervisorctl to drive either one.
 */
import { taskmasterCommand } from "../_helpers/daemon.ts";
import { waitFor } from "../_helpers/wait_for.ts";
import { requireSupervisor, run, SUPERVISORCTL, SUPERVISORD } from "./_supervisor.ts";

/** One daemon (either kind) reachable at `unix://<dir>/supervisor.sock`. */
export class Daemon implements AsyncDisposable {
  readonly kind: "supervisord" | "taskmaster";
  readonly dir: string;
  readonly child: Deno.ChildProcess;

  constructor(kind: "supervisord" | "taskmaster", dir: string, child: Deno.ChildProcess) {
    this.kind = kind;
    this.dir = dir;
    this.child = child;
  }

  get url(): string {
    return `unix://${this.dir}/supervisor.sock`;
  }

  /** Runs supervisorctl against this daemon. */
  ctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return run(SUPERVISORCTL, ["-s", this.url, ...args]);
  }

  /** Waits until `status` answers with every name in the wanted state. */
  async settle(want: Record<string, string>): Promise<void> {
    await waitFor(async () => {
      const out = (await this.ctl("status")).stdout;
      return Object.entries(want).every(([name, state]) =>
        new RegExp(`^${name.replace("*", ".*")}\\s+${state}\\b`, "m").test(out)
      );
    }, { timeout: 30_000, what: `${this.kind} to settle` });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // Already gone (shut down by a test).
    }
    await this.child.status;
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** Starts supervisord on `conf` (text) in a fresh dir. */
export async function startSupervisord(conf: string): Promise<Daemon> {
  requireSupervisor();
  const dir = await Deno.makeTempDir({ prefix: "tm-sd-" });
  await Deno.writeTextFile(`${dir}/supervisord.conf`, conf);
  const child = new Deno.Command(SUPERVISORD, {
    args: ["-n", "-c", `${dir}/supervisord.conf`],
    cwd: dir,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const daemon = new Daemon("supervisord", dir, child);
  await waitFor(async () => (await daemon.ctl("pid")).code === 0, {
    timeout: 30_000,
    what: "supervisord's socket",
  });
  return daemon;
}

/** Imports `conf` with `taskmaster import` and runs taskmaster on the result. */
export async function startTaskmaster(conf: string): Promise<Daemon> {
  requireSupervisor();
  const dir = await Deno.makeTempDir({ prefix: "tm-tm-" });
  await Deno.writeTextFile(`${dir}/supervisord.conf`, conf);
  await importInto(dir);
  const child = taskmasterCommand(["-c", `${dir}/taskmaster.yaml`, "--no-shell"], {
    cwd: dir,
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const daemon = new Daemon("taskmaster", dir, child);
  await waitFor(async () => (await daemon.ctl("pid")).code === 0, {
    timeout: 30_000,
    what: "taskmaster's socket",
  });
  return daemon;
}

/** (Re)writes `<dir>/taskmaster.yaml` from `<dir>/supervisord.conf`. */
export async function importInto(dir: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      new URL("../../main.ts", import.meta.url).pathname,
      "import",
      `${dir}/supervisord.conf`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
  await Deno.writeFile(`${dir}/taskmaster.yaml`, out.stdout);
}

/** Output with what legitimately differs between two runs made comparable. */
export function normalize(text: string, dir: string): string {
  return text
    .replaceAll(dir, "<here>")
    .replace(/pid \d+, uptime \d+:\d\d:\d\d/g, "pid <pid>, uptime <uptime>")
    .replace(/\w{3} \d\d \d\d:\d\d [AP]M/g, "<time>");
}

/** The configuration both daemons run in the comparison tests. */
export const PAIR_CONF = `[unix_http_server]
file=%(here)s/supervisor.sock

[supervisord]
logfile=%(here)s/supervisord.log
pidfile=%(here)s/supervisord.pid
childlogdir=%(here)s

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[program:web]
command=/bin/sleep 1014.1
startsecs=1

[program:jobs]
command=/bin/sleep 1014.2
numprocs=2
process_name=%(process_num)d
startsecs=0

[program:manual]
command=/bin/sh -c "echo out-line; echo err-line >&2; exec cat"
autostart=false
startsecs=0
stdout_logfile=%(here)s/manual.out
stderr_logfile=%(here)s/manual.err

[program:crashy]
command=/bin/false
startsecs=5
startretries=0
`;

/** The settled states of {@link PAIR_CONF}. */
export const PAIR_SETTLED = {
  web: "RUNNING",
  "jobs:0": "RUNNING",
  "jobs:1": "RUNNING",
  manual: "STOPPED",
  crashy: "FATAL",
};
