/**
 * `taskmaster import supervisord.conf`: reads supervisord's INI (includes,
 * groups, expansions) the way supervisor 4.2.5 does and writes the
 * equivalent taskmaster YAML, with a comment on every setting that has no
 * equivalent or changes meaning (option_map.ts is the table).
 *
 * This module walks the file: includes, groups, which sections are
 * imported, program names taskmaster accepts, and the YAML layout.
 * daemon_settings.ts converts supervisord's own sections,
 * program_convert.ts one program, located.ts holds the errors.
 *
 * @module
 */

import { dirname, join, resolve } from "node:path";
import { childLogDir, settingsYaml } from "./daemon_settings.ts";
import { glob } from "./include_glob.ts";
import { IniError, type IniSection, parseIni } from "./ini.ts";
import { envPairs, expandValue, ImportError, type Located } from "./located.ts";
import { convertProgram, type ProgramOut } from "./program_convert.ts";

/** What the import reads from the machine besides files. */
export interface ImportContext {
  /** Becomes `%(ENV_X)s`. */
  readonly env: Readonly<Record<string, string>>;
  /** `%(host_node_name)s`. */
  readonly hostname: string;
}

/** A taskmaster program name; others are renamed. */
const PROGRAM_NAME = /^[A-Za-z0-9_.-]+$/;

/** Reads `path` (and its includes) and returns taskmaster YAML. */
export async function importSupervisordConf(path: string, ctx: ImportContext): Promise<string> {
  const mainFile = resolve(path);
  const sections = new Map<string, IniSection>();
  const here = new Map<string, string>();
  const read = async (file: string) => {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (error) {
      throw new ImportError(`cannot read ${file}: ${(error as Error).message}`);
    }
    for (const name of parseIniOrFail(text, file, sections)) here.set(name, dirname(file));
  };
  await read(mainFile);
  const baseExpansions: Record<string, string> = { host_node_name: ctx.hostname };
  for (const [k, v] of Object.entries(ctx.env)) baseExpansions[`ENV_${k}`] = v;
  const notes: string[] = [];

  const include = sections.get("include");
  if (include !== undefined) {
    const files = include.options.get("files");
    if (files === undefined) {
      throw new ImportError(`${include.file}:${include.line}: [include] has no "files" setting`);
    }
    const patterns = expandValue(
      { ...files, section: "include", key: "files" },
      { ...baseExpansions, here: dirname(mainFile) },
    ).split(/\s+/).filter((p) => p !== "");
    for (const pattern of patterns) {
      const matches = await glob(join(dirname(mainFile), pattern));
      if (matches.length === 0) notes.push(`No file matches via include "${pattern}"`);
      for (const file of matches) await read(file);
    }
  }

  const get = (section: string, key: string): Located | undefined => {
    const v = sections.get(section)?.options.get(key);
    return v === undefined ? undefined : { ...v, section, key };
  };
  const expansionsFor = (section: string, extra: Record<string, string | number> = {}) => ({
    ...baseExpansions,
    here: here.get(section) ?? dirname(mainFile),
    ...extra,
  });

  // [supervisord] environment feeds %(ENV_X)s everywhere after it, as in supervisord.
  const globalEnvValue = get("supervisord", "environment");
  const globalEnv = globalEnvValue === undefined
    ? {}
    : envPairs(globalEnvValue, expansionsFor("supervisord"));
  for (const [k, v] of Object.entries(globalEnv)) baseExpansions[`ENV_${k}`] = v;

  const out: string[] = [
    `# Imported from ${mainFile} by taskmaster import.`,
    '# Lines starting with "# supervisord:" are settings with no exact taskmaster equivalent.',
  ];
  out.push(...settingsYaml(sections, get, expansionsFor));
  for (const note of notes) out.push(`# supervisord: ${note}`);

  const groupOf = new Map<string, string>();
  for (const section of sections.values()) {
    if (!section.name.startsWith("group:")) continue;
    const group = section.name.slice("group:".length);
    const programs = section.options.get("programs");
    for (const p of (programs?.value ?? "").split(/[\s,]+/).filter((s) => s !== "")) {
      if (!sections.has(`program:${p}`)) {
        throw new ImportError(
          `${section.file}:${programs!.line}: [${section.name}] names unknown program ${p}`,
        );
      }
      groupOf.set(p, group);
    }
  }

  const programs: ProgramOut[] = [];
  const listeners: ProgramOut[] = [];
  const ignored: string[] = [];
  for (const section of sections.values()) {
    const [kind, rest] = splitSection(section.name);
    if (kind === "program" || kind === "eventlistener") {
      const converted = convertProgram(section, rest, kind, {
        group: groupOf.get(rest) ?? rest,
        get,
        expansionsFor,
        globalEnv,
        childlogdir: childLogDir(get("supervisord", "childlogdir"), expansionsFor),
      });
      (kind === "program" ? programs : listeners).push(...converted);
    } else if (
      !["supervisord", "include", "group", "unix_http_server"].includes(kind)
    ) {
      ignored.push(section.name);
    }
  }
  for (const group of new Set(groupOf.values())) {
    const members = [...groupOf].filter(([, g]) => g === group).map(([p]) => p);
    out.push(
      `# supervisord: [group:${group}] (programs ${
        members.join(", ")
      }) has no equivalent: each program is addressed by its own name`,
    );
  }
  for (const name of ignored) {
    out.push(`# supervisord: [${name}] is not imported (${ignoredReason(name)})`);
  }
  uniqueNames([...programs, ...listeners]);
  out.push(programs.length === 0 ? "programs: {}" : "programs:");
  for (const p of programs) out.push(...programYaml(p));
  if (listeners.length > 0) {
    out.push(...listenersYaml(listeners));
  }
  return out.join("\n") + "\n";
}

function parseIniOrFail(text: string, file: string, into: Map<string, IniSection>): string[] {
  try {
    return parseIni(text, file, into);
  } catch (error) {
    if (error instanceof IniError) throw new ImportError(error.message);
    throw error;
  }
}

/** `program:web` → [program, web]. */
function splitSection(name: string): [string, string] {
  const i = name.indexOf(":");
  return i < 0 ? [name, ""] : [name.slice(0, i), name.slice(i + 1)];
}

/** Why a section is left out, for its comment. */
function ignoredReason(section: string): string {
  const [kind] = splitSection(section);
  switch (kind) {
    case "inet_http_server":
      return "no HTTP authentication; serve the control API over TCP with taskmaster's own listener";
    case "supervisorctl":
      return "taskmaster ctl and supervisorctl find the socket from taskmaster.socket";
    case "rpcinterface":
      return "supervisor's own XML-RPC interface is built in; plugins are not supported";
    case "fcgi-program":
      return "FastCGI socket programs are not supported";
    case "ctlplugin":
      return "supervisorctl plugins are not supported";
    default:
      return "unknown section";
  }
}

/** Renames programs taskmaster would refuse (characters, `all`, duplicates), saying so. */
function uniqueNames(programs: ProgramOut[]): void {
  const seen = new Set<string>();
  for (const p of programs) {
    let name = PROGRAM_NAME.test(p.name) ? p.name : p.name.replace(/[^A-Za-z0-9_.-]/g, "_");
    if (name === "all") name = "all_";
    const wanted = name;
    for (let i = 2; seen.has(name); i++) name = `${wanted}_${i}`;
    if (name !== p.name) {
      p.lines.unshift({ comment: `supervisord: named ${p.name}; renamed ${name} for taskmaster` });
      p.name = name;
    }
    seen.add(name);
  }
}

/** One program under `programs:` (or `eventlisteners:`). */
function programYaml(p: ProgramOut): string[] {
  const out = [`  ${p.name}:`, `    # ${p.source}`];
  for (const line of p.lines) {
    if ("comment" in line) out.push(`    # ${line.comment.replaceAll("\n", " ")}`);
    else out.push(line.value === "" ? `    ${line.key}:` : `    ${line.key}: ${line.value}`);
  }
  return out;
}

/** Event listener pools (`eventlisteners:`). */
function listenersYaml(listeners: ProgramOut[]): string[] {
  return ["eventlisteners:", ...listeners.flatMap(programYaml)];
}
