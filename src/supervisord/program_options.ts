/**
 * The per-program settings of a `[program:x]` / `[eventlistener:x]`: the
 * options that are the same for every process of the program (priority,
 * autostart, autorestart, exit codes, stop signal, log sizes, listener
 * events). Each becomes one YAML line through option_map.ts, or a comment
 * saying why it has no equivalent; an option nobody knows is a comment too,
 * so nothing in the source file is silently dropped.
 *
 * @module
 */

import { parseSignal } from "../config/values.ts";
import type { IniSection } from "./ini.ts";
import { fail, ImportError, intOf, type Located } from "./located.ts";
import {
  programOption,
  supervisordAutorestart,
  supervisordBoolean,
  supervisordByteSize,
} from "./option_map.ts";

/** One line of output YAML under a program: a key and its rendered value, or a comment. */
export type Line = { key: string; value: string } | { comment: string };

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

/** What the shared options need from the program being converted. */
export interface SharedContext {
  readonly section: IniSection;
  readonly kind: "program" | "eventlistener";
  /** The option's value, if set. */
  get(key: string): Located | undefined;
  /** The option's value expanded with `extra`, if set. */
  textOf(
    key: string,
    extra?: Record<string, string | number>,
  ): { v: Located; text: string } | undefined;
  /** `numprocs_start` and `numprocs`, which these options may expand. */
  readonly start: number;
  readonly numprocs: number;
}

/** The shared lines, and whether stderr is redirected into stdout. */
export function sharedOptions(ctx: SharedContext): { shared: Line[]; redirected: boolean } {
  const { section, kind, get, textOf, start, numprocs } = ctx;
  const name = section.name;
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
  return { shared, redirected };
}
