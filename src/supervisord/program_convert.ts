/**
 * One `[program:x]` (or `[eventlistener:x]`) → taskmaster programs. The
 * per-process settings (command, environment, directory, user, umask, log
 * files) are expanded for each process number; when every process comes
 * out the same the program keeps `numprocs`, else each process becomes a
 * program of its own, since a taskmaster program's instances share one
 * config.
 *
 * @module
 */

import { dirname, isAbsolute, join, resolve } from "node:path";
import type { IniSection } from "./ini.ts";
import {
  envPairs,
  expandValue,
  type ExpansionsFor,
  fail,
  type Getter,
  ImportError,
  intOf,
  type Located,
  yamlString,
} from "./located.ts";
import { type Line, sharedOptions } from "./program_options.ts";

/** A converted program: its name, where it came from, and its YAML lines. */
export interface ProgramOut {
  name: string;
  source: string;
  lines: Line[];
}

/** What converting one program needs from the whole file. */
export interface ConvertContext {
  /** `%(group_name)s`: the `[group:x]` naming the program, else the program. */
  readonly group: string;
  readonly get: Getter;
  readonly expansionsFor: ExpansionsFor;
  /** `[supervisord] environment`, under every program's own. */
  readonly globalEnv: Record<string, string>;
  /** `[supervisord] childlogdir`, expanded and absolute. */
  readonly childlogdir: string | undefined;
}

/** One `[program:x]` (or `[eventlistener:x]`) → one taskmaster program, or one per process. */
export function convertProgram(
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
  const { shared, redirected } = sharedOptions({ section, kind, get, textOf, start, numprocs });

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
    // A program's own environment feeds its %(ENV_X)s, as in supervisord.
    const localExpansions = { ...expansions };
    for (const [k, v] of Object.entries(env)) localExpansions[`ENV_${k}`] = v;
    const text = (key: string) => {
      const v = get(key);
      return v === undefined ? undefined : { v, text: expandValue(v, localExpansions) };
    };
    lines.push({ key: "cmd", value: yamlString(text("command")!.text) });
    const dir = text("directory");
    if (dir !== undefined) lines.push({ key: "workingdir", value: yamlString(dir.text) });
    const user = text("user");
    if (user !== undefined) lines.push({ key: "user", value: yamlString(user.text) });
    const umask = text("umask");
    if (umask !== undefined) {
      if (!/^[0-7]{1,4}$/.test(umask.text.trim())) {
        fail(umask.v, `not an octal umask: ${umask.text}`);
      }
      lines.push({ key: "umask", value: umask.text.trim().padStart(3, "0") });
    }
    lines.push(...logLines(kind, redirected, numprocs, procName, ctx.childlogdir, text));
    if (Object.keys(env).length > 0) {
      lines.push({ key: "env", value: "" });
      for (const [k, v] of Object.entries(env)) {
        lines.push({ key: `  ${k}`, value: yamlString(v) });
      }
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

/** One process's `stdout:`/`stderr:` lines, with redirect_stderr folded in. */
function logLines(
  kind: "program" | "eventlistener",
  redirected: boolean,
  numprocs: number,
  procName: string,
  childlogdir: string | undefined,
  text: (key: string) => { v: Located; text: string } | undefined,
): Line[] {
  const lines: Line[] = [];
  const stdout = logTarget(text("stdout_logfile"));
  const stderr = logTarget(text("stderr_logfile"));
  if (kind === "eventlistener" && stdout.kind !== "auto") {
    lines.push({
      comment: "supervisord: stdout_logfile — a listener's stdout is its protocol channel",
    });
  } else if (stdout.line !== null) lines.push({ key: "stdout", value: stdout.line });
  if (stdout.comment !== null) lines.push({ comment: stdout.comment });
  if (!redirected) {
    if (stderr.line !== null) lines.push({ key: "stderr", value: stderr.line });
    if (stderr.comment !== null) lines.push({ comment: stderr.comment });
    return lines;
  }
  if (stdout.kind === "auto") {
    // The instances of a program share one config: a fixed file name fits one process only.
    if (numprocs === 1 && childlogdir !== undefined) {
      lines.push({ key: "stderr", value: yamlString(join(childlogdir, `${procName}.out.log`)) });
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
  return lines;
}

/** A `*_logfile` value: AUTO (taskmaster's default file), none, or a path. */
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
  return { kind: "file", line: yamlString(path), comment: null };
}
