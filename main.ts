/**
 * taskmaster's entry point: turns argv into a daemon run, a `check`, or a
 * `ctl` client call. The only place that exits the process. The client path
 * imports only what it needs, so `taskmaster ctl status` starts fast.
 *
 * @module
 */

import { denoOutput } from "./src/util/text_output.ts";
import { VERSION } from "./src/version.ts";
import { ArgumentError, readOptions, stringOption } from "./src/util/cli_args.ts";
import { listenForSignals } from "./src/daemon/signals.ts";
// Each command's module loads through a variable (src/util/load_module.ts says why).
import { loadModule } from "./src/util/load_module.ts";

const USAGE = `usage:
  taskmaster -c FILE [--no-shell] [--detach [--wait]] [--logfile PATH] [--pidfile PATH]
             [--socket PATH]
  taskmaster check -c FILE
  taskmaster ctl [-s SOCKET | -c FILE] [COMMAND [ARGS...]]
  taskmaster import SUPERVISORD_CONF > taskmaster.yaml
  taskmaster export systemd|kubernetes|nomad|supervisord -c FILE [-o DIR] [--app NAME] [--strict]
  taskmaster startup systemd|openrc|launchd -c FILE [--install]
  taskmaster --version | --help

  -c, -f FILE      configuration file (YAML)
  --no-shell       supervise in the foreground without the control shell
  --detach         start in the background; return once the daemon is ready
  --wait           with --detach: return once every autostart program is RUNNING
                   or has failed (exit 3 then)
  --logfile PATH   event log file (overrides taskmaster.logfile)
  --pidfile PATH   pidfile (overrides taskmaster.pidfile)
  --socket PATH    control socket (overrides taskmaster.socket)
`;

const DAEMON_OPTIONS = {
  config: { type: "string", short: "c" },
  file: { type: "string", short: "f" },
  "no-shell": { type: "boolean" },
  detach: { type: "boolean" },
  wait: { type: "boolean" },
  // Internal: the background daemon that --detach starts.
  "detached-child": { type: "boolean" },
  logfile: { type: "string" },
  pidfile: { type: "string" },
  socket: { type: "string" },
} as const;

interface DaemonArgs {
  config: string | undefined;
  shell: boolean;
  detach: boolean;
  wait: boolean;
  detached: boolean;
  logfile: string | undefined;
  pidfile: string | undefined;
  socket: string | undefined;
}

function parseDaemonArgs(args: string[]): DaemonArgs {
  const { values } = readOptions(args, DAEMON_OPTIONS);
  const detached = values["detached-child"] === true;
  return {
    config: stringOption(values.config) ?? stringOption(values.file),
    shell: values["no-shell"] !== true && !detached,
    detach: values.detach === true,
    wait: values.wait === true,
    detached,
    logfile: stringOption(values.logfile),
    pidfile: stringOption(values.pidfile),
    socket: stringOption(values.socket),
  };
}

async function main(args: string[]): Promise<number> {
  const first = args[0];
  if (first === "--version" || first === "-v" || first === "version") {
    denoOutput.out(`taskmaster ${VERSION}\n`);
    return 0;
  }
  if (first === "--help" || first === "-h" || first === "help") {
    denoOutput.out(USAGE);
    return 0;
  }
  if (first === "ctl") {
    const { runCtl } = await loadModule<typeof import("./src/ctl.ts")>(
      new URL("./src/ctl.ts", import.meta.url),
    );
    return await runCtl(args.slice(1));
  }
  if (first === "import") {
    const { runImport } = await loadModule<typeof import("./src/supervisord/import_cli.ts")>(
      new URL("./src/supervisord/import_cli.ts", import.meta.url),
    );
    return await runImport(args.slice(1));
  }
  if (first === "export") {
    const { runExport } = await loadModule<typeof import("./src/export/command.ts")>(
      new URL("./src/export/command.ts", import.meta.url),
    );
    return await runExport(args.slice(1), denoOutput);
  }
  if (first === "startup") {
    const { runStartup } = await loadModule<typeof import("./src/startup/command.ts")>(
      new URL("./src/startup/command.ts", import.meta.url),
    );
    return await runStartup(args.slice(1), denoOutput);
  }
  const checkOnly = first === "check";
  const parsed = parseDaemonArgs(checkOnly ? args.slice(1) : args);
  if (parsed.config === undefined) {
    throw new ArgumentError("a configuration file is required (-c FILE)");
  }
  if (parsed.wait && !parsed.detach && !parsed.detached) {
    throw new ArgumentError("--wait goes with --detach");
  }
  if (checkOnly) {
    const { checkConfig } = await loadModule<typeof import("./src/daemon/check.ts")>(
      new URL("./src/daemon/check.ts", import.meta.url),
    );
    return await checkConfig(parsed.config);
  }
  if (parsed.detach) {
    const { detach } = await loadModule<typeof import("./src/daemon/detach.ts")>(
      new URL("./src/daemon/detach.ts", import.meta.url),
    );
    return await detach(args.filter((a) => a !== "--detach"));
  }
  // Before the daemon's modules load: a SIGTERM from here on is held, not fatal.
  const signals = listenForSignals();
  const { runDaemon } = await loadModule<typeof import("./src/daemon/daemon.ts")>(
    new URL("./src/daemon/daemon.ts", import.meta.url),
  );
  return await runDaemon(signals, {
    configPath: parsed.config,
    shell: parsed.shell,
    logfile: parsed.logfile,
    pidfile: parsed.pidfile,
    socket: parsed.socket,
    detached: parsed.detached,
    wait: parsed.wait,
  });
}

/**
 * `deno task taskmaster …` runs us from deno.json's directory (ours), with
 * the user's directory in INIT_CWD and npm-style variables added. Undo both,
 * so relative paths (-c, --logfile, --pidfile, --socket, and the children's
 * default working directory) mean what they mean to the compiled binary,
 * and children inherit the environment as the user launched us. Only when
 * deno task put us in our own directory: a daemon started elsewhere by a
 * process that itself runs under deno task (the test suite) stays where it is.
 */
function undoDenoTask(): void {
  const agent = Deno.env.get("npm_config_user_agent") ?? "";
  if (!agent.startsWith("deno/")) return;
  const initCwd = Deno.env.get("INIT_CWD");
  const ownDir = new URL(".", import.meta.url);
  if (initCwd !== undefined && ownDir.protocol === "file:") {
    const here = Deno.cwd();
    if (`${here}/` === ownDir.pathname || here === ownDir.pathname) {
      try {
        Deno.chdir(initCwd);
      } catch {
        // Gone since: stay where deno task put us.
      }
    }
  }
  Deno.env.delete("INIT_CWD");
  for (const name of Object.keys(Deno.env.toObject())) {
    if (name.startsWith("npm_config_")) Deno.env.delete(name);
  }
}

let code: number;
try {
  undoDenoTask();
  code = await main(Deno.args);
} catch (error) {
  if (error instanceof ArgumentError) {
    denoOutput.err(`taskmaster: ${error.message}\n${USAGE}`);
    code = 2;
  } else {
    // A bug, not a user error: keep the stack for the report.
    denoOutput.err(`taskmaster: internal error: ${error instanceof Error ? error.stack : error}\n`);
    code = 1;
  }
}
Deno.exit(code);
