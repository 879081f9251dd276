/**
 * `taskmaster import supervisord.conf`: reads supervisord's INI (includes,
 * groups, expansions) the way supervisor 4.2.5 does and writes the
 * equivalent taskmaster YAML, with a comment on every setting that has no
 * equivalent or changes meaning (option_map.ts is the table).
 *
 * @module
 */

import { dirname, isAbsolute, join, resolve } from "node:path";
import { parseSignal } from "../config/values.ts";
import { IniError, type IniSection, type IniValue, parseIni } from "./ini.ts";
import { FormatError, keyValuePairs, pyFormat } from "./py_values.ts";
import {
  programOption,
  supervisordAutorestart,
  supervisordBoolean,
  supervisordByteSize,
  supervisordLoglevel,
} from "./option_map.ts";

/** A problem that stops the import, naming the file, line, section and key. */
export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImportError";
  }
}

/** What the import reads from the machine besides files. */
export interface ImportContext {
  /** Becomes `%(ENV_X)s`. */
  readonly env: Readonly<Record<string, string>>;
  /** `%(host_node_name)s`. */
  readonly hostname: string;
}

interface Located extends IniValue {
  readonly section: string;
  readonly key: string;
}

/** One line of output YAML under a program: a key and its rendered value, or a comment. */
type Line = { key: string; value: string } | { comment: string };

interface ProgramOut {
  name: string;
  source: string;
  lines: Line[];
}

const PROGRAM_NAME = /^[A-Za-z0-9_.-]+$/;
/** Keys read per process (they may use %(process_num)d), in output order. */
const PER_PROCESS_KEYS = [
  "command",
  "environment",
  "directory",
  "user",
  "umask",
  "stdout_logfile",
  "stderr_logfile",
] as const;

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

function splitSection(name: string): [string, string] {
  const i = name.indexOf(":");
  return i < 0 ? [name, ""] : [name.slice(0, i), name.slice(i + 1)];
}

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

function expandValue(v: Located, expansions: Record<string, string | number>): string {
  // %(here)s is replaced textually first, as supervisor's expand_here does.
  const text = v.value.replaceAll("%(here)s", String(expansions.here ?? ""));
  try {
    return pyFormat(text, expansions);
  } catch (error) {
    if (error instanceof FormatError) {
      throw new ImportError(`${v.file}:${v.line}: [${v.section}] ${v.key}: ${error.message}`);
    }
    throw error;
  }
}

function envPairs(v: Located, expansions: Record<string, string | number>): Record<string, string> {
  try {
    return keyValuePairs(expandValue(v, expansions));
  } catch (error) {
    if (error instanceof FormatError) {
      throw new ImportError(`${v.file}:${v.line}: [${v.section}] ${v.key}: ${error.message}`);
    }
    throw error;
  }
}

function fail(v: Located, message: string): never {
  throw new ImportError(`${v.file}:${v.line}: [${v.section}] ${v.key}: ${message}`);
}

/** A YAML scalar that reads back as exactly this string. */
function str(s: string): string {
  return JSON.stringify(s);
}

type Getter = (section: string, key: string) => Located | undefined;
type ExpansionsFor = (
  section: string,
  extra?: Record<string, string | number>,
) => Record<string, string | number>;

function settingsYaml(
  sections: Map<string, IniSection>,
  get: Getter,
  expansionsFor: ExpansionsFor,
): string[] {
  const lines: string[] = [];
  const comments: string[] = [];
  const value = (section: string, key: string) => {
    const v = get(section, key);
    return v === undefined ? undefined : { v, text: expandValue(v, expansionsFor(section)) };
  };
  const path = (section: string, key: string, to: string) => {
    const found = value(section, key);
    if (found === undefined) return;
    const p = isAbsolute(found.text) ? found.text : resolve(dirname(found.v.file), found.text);
    lines.push(`  ${to}: ${str(p)}`);
  };
  path("supervisord", "logfile", "logfile");
  const maxbytes = value("supervisord", "logfile_maxbytes");
  if (maxbytes !== undefined) {
    const n = supervisordByteSize(maxbytes.text) ?? fail(maxbytes.v, "not a byte size");
    lines.push(`  logfile_maxbytes: ${n}`);
  }
  const backups = value("supervisord", "logfile_backups");
  if (backups !== undefined) lines.push(`  logfile_backups: ${intOf(backups.v, backups.text)}`);
  const level = value("supervisord", "loglevel");
  if (level !== undefined) {
    const l = supervisordLoglevel(level.text) ?? fail(level.v, `unknown level ${level.text}`);
    lines.push(`  loglevel: ${l}`);
  }
  path("supervisord", "pidfile", "pidfile");
  path("unix_http_server", "file", "socket");
  path("supervisord", "childlogdir", "logdir");
  const daemonKnown = new Set([
    "logfile",
    "logfile_maxbytes",
    "logfile_backups",
    "loglevel",
    "pidfile",
    "childlogdir",
    "environment",
  ]);
  for (const [key, v] of sections.get("supervisord")?.options ?? []) {
    if (!daemonKnown.has(key)) {
      comments.push(`# supervisord: [supervisord] ${key}=${v.value} has no equivalent`);
    }
  }
  if (get("supervisord", "environment") !== undefined) {
    comments.push("# supervisord: [supervisord] environment is merged into every program's env");
  }
  for (const [key, v] of sections.get("unix_http_server")?.options ?? []) {
    if (key === "file") continue;
    // A password is a secret: name the key, never the value.
    const shown = key === "password" ? " (value not copied)" : `=${v.value}`;
    comments.push(
      `# supervisord: [unix_http_server] ${key}${shown} has no equivalent (the socket is owner-only, 0600)`,
    );
  }
  return [...comments, ...(lines.length > 0 ? ["taskmaster:", ...lines] : [])];
}

function childLogDir(v: Located | undefined, expansionsFor: ExpansionsFor): string | undefined {
  if (v === undefined) return undefined;
  const text = expandValue(v, expansionsFor("supervisord"));
  return isAbsolute(text) ? text : resolve(dirname(v.file), text);
}

function intOf(v: Located, text: string): number {
  if (!/^\s*-?\d+\s*$/.test(text)) fail(v, `expected an integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

interface ConvertContext {
  readonly group: string;
  readonly get: Getter;
  readonly expansionsFor: ExpansionsFor;
  readonly globalEnv: Record<string, string>;
  /** `[supervisord] childlogdir`, expanded and absolute. */
  readonly childlogdir: string | undefined;
}

/** One `[program:x]` (or `[eventlistener:x]`) → one taskmaster program, or one per process. */
function convertProgram(
  section: IniSection,
  programName: string,
  kind: "program" | "eventlistener",
  ctx: ConvertContext,
): ProgramOut[] {
  const name = section.name;
  const get = (key: string) => ctx.get(name, key);
  const common = { program_name: programName, group_name: ctx.group };
  const textOf = (key: string, extra: Record<string, string | number> = {}) => {
    const v = get(key);
    return v === undefined
      ? undefined
      : { v, text: expandValue(v, ctx.expansionsFor(name, { ...common, ...extra })) };
  };
  const commandValue = get("command");
  if (commandValue === undefined) {
    throw new ImportError(
      `${section.file}:${section.line}: [${name}] does not specify a command`,
    );
  }
  const numprocs = get("numprocs") ? intOf(get("numprocs")!, get("numprocs")!.value) : 1;
  const start = get("numprocs_start")
    ? intOf(get("numprocs_start")!, get("numprocs_start")!.value)
    : 0;
  const processNameValue = get("process_name")?.value ?? "%(program_name)s";
  if (numprocs > 1 && !processNameValue.includes("%(process_num)")) {
    fail(
      get("process_name") ?? { ...commandValue, key: "numprocs", section: name },
      "%(process_num) must be present within process_name when numprocs > 1",
    );
  }

  // Shared (per-program) lines, in the order of the option table.
  const shared: Line[] = [];
  const comment = (text: string) => shared.push({ comment: text });
  const handled = new Set<string>([
    ...PER_PROCESS_KEYS,
    "numprocs",
    "process_name",
    "numprocs_start",
  ]);
  const simple = (key: string, render: (v: Located, text: string) => string | null) => {
    handled.add(key);
    const found = textOf(key, { process_num: start, numprocs });
    if (found === undefined) return;
    const out = render(found.v, found.text);
    if (out !== null) shared.push({ key: programOption(key)!.taskmaster!, value: out });
  };
  const bool = (v: Located, text: string) =>
    String(supervisordBoolean(text) ?? fail(v, `expected true or false, got ${text}`));
  simple("priority", (v, t) => String(intOf(v, t)));
  simple("autostart", bool);
  simple("stdout_events_enabled", bool);
  simple("stderr_events_enabled", bool);
  simple(
    "autorestart",
    (v, t) =>
      supervisordAutorestart(t) ?? fail(v, `invalid 'autorestart' value ${JSON.stringify(t)}`),
  );
  simple("startsecs", (v, t) => String(intOf(v, t)));
  simple("startretries", (v, t) => String(intOf(v, t)));
  simple("exitcodes", (v, t) => {
    const codes = t.split(",").map((c) => intOf(v, c));
    return `[${codes.join(", ")}]`;
  });
  simple("stopsignal", (_v, t) => {
    const sig = parseSignal(t);
    if (sig !== undefined) return sig;
    comment(`supervisord: stopsignal=${t} is not a signal taskmaster can stop with; SIGTERM used`);
    return null;
  });
  simple("stopwaitsecs", (v, t) => String(intOf(v, t)));
  for (const stream of ["stdout", "stderr"] as const) {
    simple(
      `${stream}_logfile_maxbytes`,
      (v, t) => String(supervisordByteSize(t) ?? fail(v, `not a byte size: ${t}`)),
    );
    simple(`${stream}_logfile_backups`, (v, t) => String(intOf(v, t)));
  }
  if (kind === "eventlistener") {
    handled.add("events");
    handled.add("buffer_size");
    const events = textOf("events");
    if (events === undefined) {
      throw new ImportError(
        `${section.file}:${section.line}: [${name}] section requires an "events" line`,
      );
    }
    const list = events.text.split(/[\s,]+/).filter((e) => e !== "").map((e) => e.toUpperCase());
    shared.push({ key: "events", value: `[${list.join(", ")}]` });
    const buffer = textOf("buffer_size");
    if (buffer !== undefined) {
      shared.push({ key: "buffer_size", value: String(intOf(buffer.v, buffer.text)) });
    }
  }
  const stopasgroup = get("stopasgroup");
  const killasgroup = get("killasgroup");
  handled.add("stopasgroup");
  handled.add("killasgroup");
  if (stopasgroup === undefined || supervisordBoolean(stopasgroup.value) !== true) {
    comment(
      `supervisord: stopasgroup=${
        stopasgroup?.value ?? "false"
      } — taskmaster always sends the stop signal to the whole process group`,
    );
  }
  if (killasgroup !== undefined && supervisordBoolean(killasgroup.value) === false) {
    comment(
      "supervisord: killasgroup=false — taskmaster always sends SIGKILL to the whole process group",
    );
  }
  handled.add("redirect_stderr");
  const redirect = get("redirect_stderr");
  const redirected = redirect !== undefined && (supervisordBoolean(redirect.value) ?? false);
  if (kind === "eventlistener" && redirected) {
    fail(
      redirect!,
      "redirect_stderr=true is not allowed in an eventlistener (it breaks the protocol)",
    );
  }
  for (const [key, v] of section.options) {
    if (handled.has(key)) continue;
    const mapping = programOption(key);
    if (mapping === undefined) {
      comment(`supervisord: unknown option ${key}=${v.value} ignored (line ${v.line})`);
    } else if (mapping.taskmaster === null) {
      comment(`supervisord: ${key}=${v.value} — ${mapping.note}`);
    }
  }

  // Per-process values: equal for every instance → numprocs; else one program each.
  const perProcess: { name: string; lines: Line[] }[] = [];
  for (let num = start; num < start + numprocs; num++) {
    const extra = { process_num: num, numprocs };
    const expansions = ctx.expansionsFor(name, { ...common, ...extra });
    const procName = expandValue(
      {
        ...(get("process_name") ?? commandValue),
        value: processNameValue,
        key: "process_name",
        section: name,
      },
      expansions,
    );
    const lines: Line[] = [];
    const envValue = get("environment");
    const env = { ...ctx.globalEnv, ...(envValue ? envPairs(envValue, expansions) : {}) };
    const localExpansions = { ...expansions };
    for (const [k, v] of Object.entries(env)) localExpansions[`ENV_${k}`] = v;
    const text = (key: string) => {
      const v = get(key);
      return v === undefined ? undefined : { v, text: expandValue(v, localExpansions) };
    };
    lines.push({ key: "cmd", value: str(text("command")!.text) });
    const dir = text("directory");
    if (dir !== undefined) lines.push({ key: "workingdir", value: str(dir.text) });
    const user = text("user");
    if (user !== undefined) lines.push({ key: "user", value: str(user.text) });
    const umask = text("umask");
    if (umask !== undefined) {
      if (!/^[0-7]{1,4}$/.test(umask.text.trim())) {
        fail(umask.v, `not an octal umask: ${umask.text}`);
      }
      lines.push({ key: "umask", value: umask.text.trim().padStart(3, "0") });
    }
    const stdout = logTarget(text("stdout_logfile"));
    const stderr = logTarget(text("stderr_logfile"));
    if (kind === "eventlistener" && stdout.kind !== "auto") {
      lines.push({
        comment: "supervisord: stdout_logfile — a listener's stdout is its protocol channel",
      });
    } else if (stdout.line !== null) lines.push({ key: "stdout", value: stdout.line });
    if (stdout.comment !== null) lines.push({ comment: stdout.comment });
    if (redirected) {
      if (stdout.kind === "auto") {
        const dir = ctx.childlogdir;
        if (numprocs === 1 && dir !== undefined) {
          lines.push({ key: "stderr", value: str(join(dir, `${procName}.out.log`)) });
          lines.push({
            comment: "supervisord: redirect_stderr=true — stderr joins the stdout file",
          });
        } else {
          lines.push({
            comment:
              "supervisord: redirect_stderr=true with an AUTO stdout_logfile — stderr keeps its own default file",
          });
        }
      } else {
        lines.push({ key: "stderr", value: stdout.line ?? "null" });
        lines.push({ comment: "supervisord: redirect_stderr=true — stderr joins the stdout file" });
      }
      if (stderr.kind !== "auto") {
        lines.push({
          comment: "supervisord: stderr_logfile is ignored because redirect_stderr=true",
        });
      }
    } else {
      if (stderr.line !== null) lines.push({ key: "stderr", value: stderr.line });
      if (stderr.comment !== null) lines.push({ comment: stderr.comment });
    }
    if (Object.keys(env).length > 0) {
      lines.push({ key: "env", value: "" });
      for (const [k, v] of Object.entries(env)) lines.push({ key: `  ${k}`, value: str(v) });
    }
    perProcess.push({ name: procName, lines });
  }
  const first = perProcess[0]!;
  const same = perProcess.every((p) => JSON.stringify(p.lines) === JSON.stringify(first.lines));
  const source = `[${name}] from ${section.file}:${section.line}`;
  if (numprocs === 1 || same) {
    const lines: Line[] = [...first.lines, ...shared];
    if (numprocs > 1) {
      lines.push({ key: "numprocs", value: String(numprocs) });
      if (processNameValue !== "%(process_num)d" || start !== 0) {
        lines.push({
          comment: `supervisord: process_name=${processNameValue}${
            start !== 0 ? `, numprocs_start=${start}` : ""
          } — instances are named ${programName}:0 … ${programName}:${numprocs - 1}`,
        });
      }
    } else if (first.name !== programName) {
      lines.push({
        comment: `supervisord: process_name=${first.name} — the program is named ${programName}`,
      });
    }
    return [{ name: programName, source, lines }];
  }
  return perProcess.map((p) => ({
    name: p.name,
    source,
    lines: [
      {
        comment:
          `supervisord: process ${p.name} of ${programName} (numprocs=${numprocs}); its settings differ per process, so it is a program of its own`,
      },
      ...p.lines,
      ...shared,
    ],
  }));
}

function logTarget(
  found: { v: Located; text: string } | undefined,
): { kind: "auto" | "none" | "file"; line: string | null; comment: string | null } {
  if (found === undefined) return { kind: "auto", line: null, comment: null };
  const lower = found.text.trim().toLowerCase();
  if (lower === "auto") return { kind: "auto", line: null, comment: null };
  if (lower === "none" || lower === "off" || lower === "") {
    return { kind: "none", line: "null", comment: null };
  }
  if (lower === "syslog") {
    return {
      kind: "none",
      line: "null",
      comment: `supervisord: ${found.v.key}=syslog — taskmaster has no syslog output`,
    };
  }
  const path = isAbsolute(found.text) ? found.text : resolve(dirname(found.v.file), found.text);
  return { kind: "file", line: str(path), comment: null };
}

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

function programYaml(p: ProgramOut): string[] {
  const out = [`  ${p.name}:`, `    # ${p.source}`];
  for (const line of p.lines) {
    if ("comment" in line) out.push(`    # ${line.comment.replaceAll("\n", " ")}`);
    else out.push(line.value === "" ? `    ${line.key}:` : `    ${line.key}: ${line.value}`);
  }
  return out;
}

/** Files matching a glob pattern (`*`, `?`, `[…]` in any segment), sorted. */
async function glob(pattern: string): Promise<string[]> {
  const parts = pattern.split("/").filter((p) => p !== "");
  let current = [pattern.startsWith("/") ? "/" : "."];
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    const next: string[] = [];
    for (const dir of current) {
      if (!/[*?[]/.test(part)) {
        const candidate = join(dir, part);
        try {
          const info = await Deno.stat(candidate);
          if (last ? info.isFile : info.isDirectory) next.push(candidate);
        } catch {
          // Not there: no match.
        }
        continue;
      }
      const re = globSegment(part);
      try {
        for await (const entry of Deno.readDir(dir)) {
          if (entry.name.startsWith(".") && !part.startsWith(".")) continue;
          if (!re.test(entry.name)) continue;
          const candidate = join(dir, entry.name);
          const info = await Deno.stat(candidate).catch(() => null);
          if (info !== null && (last ? info.isFile : info.isDirectory)) next.push(candidate);
        }
      } catch {
        // Unreadable directory: no match.
      }
    }
    current = next;
  }
  return current.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function globSegment(part: string): RegExp {
  let re = "";
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = part.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        const body = part.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\");
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** Event listener pools (`eventlisteners:`). */
function listenersYaml(listeners: ProgramOut[]): string[] {
  return ["eventlisteners:", ...listeners.flatMap(programYaml)];
}
