/**
 * `taskmaster export FORMAT -c FILE [-o DIR] [--app NAME] [--image IMAGE] [--strict]`:
 * reads a config and writes the equivalent for another engine, listing on stderr every
 * setting the target cannot express. Exit 0 (2 with `--strict` when something was lost,
 * for a bad config, or bad arguments).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { chooseWord } from "../util/cli_args.ts";
import { join } from "node:path";
import { accountLookup, parsePasswd } from "../config/accounts.ts";
import { loadConfig } from "../config/load.ts";
import type { Account, TaskmasterConfig } from "../config/types.ts";
import { formatIssueReport } from "../config/issues.ts";
import type { TextOutput } from "../util/text_output.ts";
import { type ExportResult, formatFinding } from "./findings.ts";
import { exportKubernetes, MissingImageError } from "./kubernetes.ts";
import { defaultAppName, dnsLabel } from "./names.ts";
import { exportNomad } from "./nomad.ts";
import { exportSupervisord } from "./supervisord.ts";
import { exportSystemd } from "./systemd.ts";

export const EXPORT_FORMATS = ["systemd", "kubernetes", "nomad", "supervisord"] as const;
type Format = typeof EXPORT_FORMATS[number];

export const EXPORT_USAGE =
  `usage: taskmaster export FORMAT -c FILE [-o DIR] [--app NAME] [--strict]
  FORMAT           ${EXPORT_FORMATS.join(" | ")}
  -c, -f FILE      configuration file (YAML)
  -o DIR           write the files into DIR (created if missing) instead of stdout
  --app NAME       application name (default: the config file's name)
  --image IMAGE    kubernetes: container image for programs without x-kubernetes.image
  --driver NAME    nomad: raw_exec (default) or exec
  --strict         exit 2 when any setting cannot be expressed in FORMAT
`;

/** Runs the command; resolves with the exit code. */
export async function runExport(args: string[], io: TextOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        config: { type: "string", short: "c" },
        file: { type: "string", short: "f" },
        output: { type: "string", short: "o" },
        app: { type: "string" },
        image: { type: "string" },
        driver: { type: "string" },
        strict: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    return usage(io, error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(EXPORT_USAGE);
    return 0;
  }
  const chosen = chooseWord(positionals, "format", EXPORT_FORMATS);
  if ("mistake" in chosen) return usage(io, chosen.mistake);
  const format = chosen.word;
  const configPath = values.config ?? values.file;
  if (configPath === undefined) return usage(io, "a configuration file is required (-c FILE)");
  const driver = values.driver ?? "raw_exec";
  if (driver !== "raw_exec" && driver !== "exec") {
    return usage(io, `--driver must be raw_exec or exec, got "${driver}"`);
  }
  if (values.app !== undefined && dnsLabel(values.app) !== values.app) {
    return usage(io, `--app must be lower-case letters, digits and "-" (got "${values.app}")`);
  }

  // The config describes another machine: its users need not exist here, nor need we be root.
  const loaded = await loadConfig(configPath, { isRoot: true, lookupUser: exportUserLookup() });
  if (!loaded.ok) {
    io.err(formatIssueReport(loaded.issues, configPath));
    return 2;
  }
  const app = values.app ?? defaultAppName(loaded.config.file);
  let result: ExportResult;
  try {
    result = build(format, loaded.config, app, values.image, driver);
  } catch (error) {
    if (error instanceof MissingImageError) {
      io.err(`taskmaster export: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  if (values.output === undefined) {
    const several = result.files.length > 1;
    for (const file of result.files) {
      io.out(several ? `# ==> ${file.name} <==\n${file.text}\n` : file.text);
    }
  } else {
    try {
      await Deno.mkdir(values.output, { recursive: true });
      for (const file of result.files) {
        await Deno.writeTextFile(join(values.output, file.name), file.text);
      }
    } catch (error) {
      io.err(`taskmaster export: cannot write to ${values.output}: ${errorText(error)}\n`);
      return 1;
    }
    for (const file of result.files) io.err(`wrote ${join(values.output, file.name)}\n`);
  }
  for (const finding of result.findings) io.err(`${formatFinding(format, finding)}\n`);
  if (values.strict && result.findings.length > 0) {
    io.err(
      `taskmaster export: ${result.findings.length} setting${
        result.findings.length === 1 ? "" : "s"
      } cannot be expressed in ${format} (--strict)\n`,
    );
    return 2;
  }
  return 0;
}

function build(
  format: Format,
  config: TaskmasterConfig,
  app: string,
  image: string | undefined,
  driver: "raw_exec" | "exec",
): ExportResult {
  switch (format) {
    case "systemd":
      return exportSystemd(config, {
        app,
        resolveExecutable: findOnPath,
        groupName: groupLookup(),
      });
    case "kubernetes":
      return exportKubernetes(config, { app, image });
    case "nomad":
      return exportNomad(config, { app, driver });
    case "supervisord":
      return exportSupervisord(config);
  }
}

function usage(io: TextOutput, message: string): number {
  io.err(`taskmaster export: ${message}\n${EXPORT_USAGE}`);
  return 2;
}

/**
 * Accounts for an exported config: the passwd entry when this machine has one, else the
 * name as written (the target machine will have it). A uid written as digits stays digits,
 * so exporters can tell a numeric user (Kubernetes' runAsUser) from a name.
 */
function exportUserLookup(): (name: string) => Account {
  let text = "";
  try {
    text = Deno.readTextFileSync("/etc/passwd");
  } catch {
    // No passwd here: every user is taken as written.
  }
  const lookup = accountLookup(parsePasswd(text));
  return (name) => {
    const found = lookup(name);
    if (/^\d+$/.test(name)) {
      return {
        name,
        uid: Number(name),
        gid: found?.gid ?? -1,
        home: found?.home ?? "/",
        shell: "",
      };
    }
    return found ?? { name, uid: -1, gid: -1, home: "/", shell: "" };
  };
}

/** gid → group name from /etc/group, read once. */
function groupLookup(): (gid: number) => string | undefined {
  const names = new Map<number, string>();
  try {
    for (const line of Deno.readTextFileSync("/etc/group").split("\n")) {
      const [name, , gid] = line.split(":");
      if (name && gid && /^\d+$/.test(gid) && !names.has(Number(gid))) {
        names.set(Number(gid), name);
      }
    }
  } catch {
    // Without /etc/group, systemd's default (the user's primary group) applies.
  }
  return (gid) => names.get(gid);
}

/** The first PATH entry holding an executable `name`. */
function findOnPath(name: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
