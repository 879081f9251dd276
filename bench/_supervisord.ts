/**
 * A private supervisord (Debian's `supervisor` package, 4.2.5) for the
 * bench: foreground (`-n`), its own ini config, unix socket, log and pidfile
 * in a temp dir. Never the system service. Installs the package with
 * apt-get when it is missing, and says so.
 *
 * @module
 */

import { type Daemon, DaemonProcess, type ProgramSpec, progress } from "./_common.ts";

const SUPERVISORD = "/usr/bin/supervisord";
const SUPERVISORCTL = "/usr/bin/supervisorctl";

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Makes sure supervisord is installed (apt-get install supervisor); returns its version. */
export async function ensureSupervisord(): Promise<string> {
  if (!await exists(SUPERVISORD) || !await exists(SUPERVISORCTL)) {
    progress("supervisord is missing: installing Debian's `supervisor` with apt-get");
    const run = async (args: string[]) => {
      const out = await new Deno.Command("apt-get", {
        args,
        env: { DEBIAN_FRONTEND: "noninteractive" },
        stdout: "null",
        stderr: "piped",
      }).output();
      return { ok: out.success, err: new TextDecoder().decode(out.stderr) };
    };
    let result = await run(["install", "-y", "supervisor"]);
    if (!result.ok) {
      await run(["update"]);
      result = await run(["install", "-y", "supervisor"]);
    }
    if (!result.ok) throw new Error(`apt-get install supervisor failed:\n${result.err}`);
    progress("installed supervisor (the bench never uses its system service)");
  }
  const out = await new Deno.Command(SUPERVISORD, { args: ["--version"] }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

/** supervisord's name for instance `index` of `p`. */
export function supervisordName(p: ProgramSpec, index = 0): string {
  return (p.numprocs ?? 1) > 1 ? `${p.name}_${index}` : p.name;
}

/** ini text of a supervisord config with `programs`, every path in `dir`. */
export function supervisordIni(dir: string, programs: readonly ProgramSpec[]): string {
  const esc = (s: string) => s.replaceAll("%", "%%");
  const lines = [
    "[unix_http_server]",
    `file=${dir}/sv.sock`,
    "chmod=0700",
    "",
    "[supervisord]",
    `logfile=${dir}/sv.log`,
    `pidfile=${dir}/sv.pid`,
    `childlogdir=${dir}/logs`,
    "logfile_maxbytes=0",
    "nodaemon=true",
    "user=root",
    "minfds=1024",
    "",
    "[rpcinterface:supervisor]",
    "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
    "",
    "[supervisorctl]",
    `serverurl=unix://${dir}/sv.sock`,
    "",
  ];
  for (const p of programs) {
    if (p.timestamps) throw new Error(`supervisord has no timestamps option (program ${p.name})`);
    const numprocs = p.numprocs ?? 1;
    lines.push(
      `[program:${p.name}]`,
      `command=${esc(p.cmd)}`,
      `numprocs=${numprocs}`,
      ...(numprocs > 1 ? ["process_name=%(program_name)s_%(process_num)s"] : []),
      `startsecs=${p.starttime}`,
      `startretries=${p.startretries ?? 3}`,
      `autostart=${p.autostart ?? true}`,
      `autorestart=${
        ({ always: "true", never: "false", unexpected: "unexpected" })[
          p.autorestart ?? "unexpected"
        ]
      }`,
      `stopwaitsecs=${p.stoptime ?? 10}`,
      p.stdout ? `stdout_logfile=${esc(p.stdout)}` : "stdout_logfile=NONE",
      `stdout_logfile_maxbytes=${p.stdoutMaxBytes ?? 0}`,
      `stdout_logfile_backups=${p.stdoutBackups ?? 10}`,
      "stderr_logfile=NONE",
      "",
    );
  }
  return lines.join("\n");
}

const encoder = new TextEncoder();

function xmlrpcBody(method: string, params: string[]): string {
  return `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${
    params.map((p) => `<param><value>${p}</value></param>`).join("")
  }</params></methodCall>`;
}

class SupervisordDaemon extends DaemonProcess implements Daemon {
  readonly kind = "supervisord" as const;
  readonly applyConfigWords = ["update"] as const;
  readonly #config: string;
  readonly #socket: string;

  constructor(dir: string, config: string, child: Deno.ChildProcess, launchedAt: number) {
    super(dir, child, launchedAt);
    this.#config = config;
    this.#socket = `${dir}/sv.sock`;
  }

  /**
   * One XML-RPC call as HTTP/1.0 on a fresh unix-socket connection (medusa,
   * supervisord's HTTP server, answers 400 to the absolute-form request line
   * that fetch() sends through a unix "proxy").
   */
  async #rpc(method: string, ...params: string[]): Promise<string> {
    const body = encoder.encode(xmlrpcBody(method, params));
    const head = encoder.encode(
      `POST /RPC2 HTTP/1.0\r\nHost: localhost\r\nContent-Type: text/xml\r\n` +
        `Content-Length: ${body.length}\r\n\r\n`,
    );
    const conn = await Deno.connect({ transport: "unix", path: this.#socket });
    let text: string;
    try {
      const request = new Uint8Array(head.length + body.length);
      request.set(head);
      request.set(body, head.length);
      for (let written = 0; written < request.length;) {
        written += await conn.write(request.subarray(written));
      }
      text = await new Response(conn.readable).text();
    } finally {
      try {
        conn.close();
      } catch {
        // closed by the readable already
      }
    }
    const status = Number(/^HTTP\/1\.\d (\d+)/.exec(text)?.[1] ?? NaN);
    if (status !== 200 || text.includes("<fault>")) {
      throw new Error(`supervisord ${method}: HTTP ${status} ${text.slice(0, 500)}`);
    }
    return text;
  }

  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      try {
        const state = await this.#rpc("supervisor.getState");
        if (state.includes("<string>RUNNING</string>")) return;
      } catch (error) {
        if (performance.now() > deadline) {
          throw new Error(`supervisord did not answer on its socket: ${error}`);
        }
      }
      if (await this.exitedSoon()) {
        throw new Error(`supervisord exited during start-up:\n${await this.stderr}`);
      }
    }
  }

  async stopAll(): Promise<void> {
    await this.#rpc("supervisor.stopAllProcesses", "<boolean>1</boolean>");
  }

  async start(name: string): Promise<void> {
    await this.#rpc("supervisor.startProcess", `<string>${name}</string>`, "<boolean>0</boolean>");
  }

  async stateOf(name: string): Promise<string> {
    const xml = await this.#rpc("supervisor.getProcessInfo", `<string>${name}</string>`);
    const match = /<name>statename<\/name>\s*<value><string>([A-Z]+)<\/string>/.exec(xml);
    return match?.[1] ?? "UNKNOWN-NAME";
  }

  async statusAll(): Promise<number> {
    const xml = await this.#rpc("supervisor.getAllProcessInfo");
    return xml.split("<name>statename</name>").length - 1;
  }

  async writeConfig(programs: readonly ProgramSpec[]): Promise<void> {
    await Deno.writeTextFile(this.#config, supervisordIni(this.dir, programs));
  }

  clientArgv(words: readonly string[]): string[] {
    return [SUPERVISORCTL, "-c", this.#config, ...words];
  }
}

/** Starts a private supervisord on `programs` in a fresh temp dir (not waiting for it). */
export async function launchSupervisord(programs: readonly ProgramSpec[]): Promise<Daemon> {
  const dir = await Deno.makeTempDir({ prefix: "sv_bench_" });
  await Deno.mkdir(`${dir}/logs`);
  const config = `${dir}/supervisord.conf`;
  await Deno.writeTextFile(config, supervisordIni(dir, programs));
  const launchedAt = performance.now();
  const child = new Deno.Command(SUPERVISORD, {
    args: ["-n", "-c", config],
    cwd: dir,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const daemon = new SupervisordDaemon(dir, config, child, launchedAt);
  return daemon;
}
