/**
 * `taskmaster startup systemd|openrc|launchd -c FILE [--install] [--name NAME]
 * [--unit-dir DIR]`: prints a boot unit that runs this taskmaster on this config, or with
 * `--install` writes it and enables it.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { chooseWord } from "../util/cli_args.ts";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../config/load.ts";
import { formatIssueReport } from "../config/issues.ts";
import { defaultAppName } from "../export/names.ts";
import { RUN_FLAGS } from "../permissions.ts";
import type { TextOutput } from "../util/text_output.ts";
import {
  bootUnit,
  type DaemonLaunch,
  STARTUP_SYSTEMS,
  type StartupSystem,
  unitFileName,
} from "./units.ts";

export const STARTUP_USAGE =
  `usage: taskmaster startup SYSTEM -c FILE [--install] [--name NAME] [--unit-dir DIR]
  SYSTEM           ${STARTUP_SYSTEMS.join(" | ")}
  -c, -f FILE      configuration file the daemon runs
  --install        write the unit and enable it at boot (else print it)
  --name NAME      service name (default: taskmaster-<config name>)
  --unit-dir DIR   where --install writes (default: /etc/systemd/system, /etc/init.d,
                   /Library/LaunchDaemons)
`;

const UNIT_DIRS: Record<StartupSystem, string> = {
  systemd: "/etc/systemd/system",
  openrc: "/etc/init.d",
  launchd: "/Library/LaunchDaemons",
};

/** Runs the command; resolves with the exit code. */
export async function runStartup(args: string[], io: TextOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        config: { type: "string", short: "c" },
        file: { type: "string", short: "f" },
        install: { type: "boolean" },
        name: { type: "string" },
        "unit-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    return usage(io, error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(STARTUP_USAGE);
    return 0;
  }
  const chosen = chooseWord(positionals, "init system", STARTUP_SYSTEMS);
  if ("mistake" in chosen) return usage(io, chosen.mistake);
  const system = chosen.word;
  const configPath = values.config ?? values.file;
  if (configPath === undefined) return usage(io, "a configuration file is required (-c FILE)");
  const name = values.name ?? `taskmaster-${defaultAppName(configPath)}`;
  if (!/^[A-Za-z0-9_.@-]+$/.test(name)) {
    return usage(io, `--name may use letters, digits, "_", ".", "@" and "-" (got "${name}")`);
  }

  // The unit must start a daemon that will accept this config: check it now, not at boot.
  const loaded = await loadConfig(configPath);
  if (!loaded.ok) {
    io.err(formatIssueReport(loaded.issues, configPath));
    return 2;
  }
  const stoptimes = [...loaded.config.programs.values()].map((p) => p.stoptime);
  const launch: DaemonLaunch = {
    name,
    config: loaded.config.file,
    command: taskmasterInvocation(),
    stopTimeout: Math.ceil(Math.max(10, ...stoptimes)) + 30,
  };
  const text = bootUnit(system, launch);
  if (!values.install) {
    io.out(text);
    return 0;
  }
  const path = join(values["unit-dir"] ?? UNIT_DIRS[system], unitFileName(system, name));
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeTextFile(path, text, { mode: system === "openrc" ? 0o755 : 0o644 });
    if (system === "openrc") await Deno.chmod(path, 0o755);
  } catch (error) {
    io.err(`taskmaster startup: cannot write ${path}: ${errorText(error)}\n`);
    return 1;
  }
  io.out(`wrote ${path}\n`);
  const enable = enableCommands(system, name, path, values["unit-dir"] !== undefined);
  for (const argv of enable) {
    const result = await run(argv);
    if (result !== null) {
      io.err(`taskmaster startup: ${argv.join(" ")} failed: ${result}\n`);
      return 1;
    }
    io.out(`ran ${argv.join(" ")}\n`);
  }
  if (enable.length === 0) {
    io.out(`enable it with: ${manualEnable(system, name, path)}\n`);
  }
  return 0;
}

/**
 * How this taskmaster is run: the compiled binary itself, or from source
 * `deno run <the binary's flags> main.ts`.
 */
export function taskmasterInvocation(): string[] {
  const main = Deno.mainModule;
  if (main.startsWith("file:") && !isCompiled()) {
    return [Deno.execPath(), "run", "--quiet", ...RUN_FLAGS, fileURLToPath(main)];
  }
  return [Deno.execPath()];
}

function isCompiled(): boolean {
  // `deno compile` binaries run their main module from a virtual directory.
  return Deno.mainModule.includes("/deno-compile-");
}

/** The commands that enable the unit, when the unit went to the system's own directory. */
function enableCommands(
  system: StartupSystem,
  name: string,
  path: string,
  customDir: boolean,
): string[][] {
  if (customDir) return [];
  switch (system) {
    case "systemd":
      // `enable` only links files and works without a running systemd (an image being
      // built, a container); `daemon-reload` needs systemd as PID 1.
      return [
        ...(systemdBooted() ? [["systemctl", "daemon-reload"]] : []),
        ["systemctl", "enable", `${name}.service`],
      ];
    case "openrc":
      return [["rc-update", "add", name, "default"]];
    case "launchd":
      return [["launchctl", "load", "-w", path]];
  }
}

function systemdBooted(): boolean {
  try {
    return Deno.statSync("/run/systemd/system").isDirectory;
  } catch {
    return false;
  }
}

function manualEnable(system: StartupSystem, name: string, path: string): string {
  switch (system) {
    case "systemd":
      return `systemctl link ${path} && systemctl enable ${name}.service`;
    case "openrc":
      return `cp ${path} /etc/init.d/${name} && rc-update add ${name} default`;
    case "launchd":
      return `launchctl load -w ${path}`;
  }
}

/** Runs a command; null on success, else why it failed. */
async function run(argv: string[]): Promise<string | null> {
  const [cmd = "", ...args] = argv;
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    if (out.success) return null;
    const err = new TextDecoder().decode(out.stderr).trim();
    return err === "" ? `exit status ${out.code}` : err;
  } catch (error) {
    return errorText(error);
  }
}

function usage(io: TextOutput, message: string): number {
  io.err(`taskmaster startup: ${message}\n${STARTUP_USAGE}`);
  return 2;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
