/**
 * How supervisord's option names and values map onto taskmaster's: one
 * table, read by `taskmaster import` (supervisord → taskmaster) and meant for
 * an exporter going the other way. A row with `taskmaster: null` has no
 * equivalent; its `note` is the comment the importer writes. The README's
 * mapping table is this table.
 *
 * @module
 */

/** One supervisord option and where it goes. */
export interface OptionMapping {
  /** The option in `[program:x]` (or `[supervisord]`…). */
  readonly supervisord: string;
  /** The taskmaster key it becomes, or null when there is none. */
  readonly taskmaster: string | null;
  /** What changes in meaning, or why it is dropped; empty when it maps exactly. */
  readonly note: string;
}

/** `[program:x]` (and `[eventlistener:x]`) options. */
export const PROGRAM_OPTIONS: readonly OptionMapping[] = [
  { supervisord: "command", taskmaster: "cmd", note: "" },
  {
    supervisord: "process_name",
    taskmaster: null,
    note: "instances are always named NAME (one) or NAME:0, NAME:1… (several)",
  },
  { supervisord: "numprocs", taskmaster: "numprocs", note: "" },
  {
    supervisord: "numprocs_start",
    taskmaster: null,
    note: "instance numbers always start at 0",
  },
  { supervisord: "priority", taskmaster: "priority", note: "" },
  { supervisord: "autostart", taskmaster: "autostart", note: "" },
  {
    supervisord: "autorestart",
    taskmaster: "autorestart",
    note: "true → always, false → never, unexpected → unexpected",
  },
  { supervisord: "startsecs", taskmaster: "starttime", note: "" },
  { supervisord: "startretries", taskmaster: "startretries", note: "" },
  { supervisord: "exitcodes", taskmaster: "exitcodes", note: "" },
  { supervisord: "stopsignal", taskmaster: "stopsignal", note: "TERM → SIGTERM" },
  { supervisord: "stopwaitsecs", taskmaster: "stoptime", note: "" },
  {
    supervisord: "stopasgroup",
    taskmaster: null,
    note: "taskmaster always sends the stop signal to the whole process group",
  },
  {
    supervisord: "killasgroup",
    taskmaster: null,
    note: "taskmaster always sends SIGKILL to the whole process group",
  },
  { supervisord: "user", taskmaster: "user", note: "" },
  {
    supervisord: "redirect_stderr",
    taskmaster: "stderr",
    note: "stderr is written to the stdout file (same file, separate pipes)",
  },
  {
    supervisord: "stdout_logfile",
    taskmaster: "stdout",
    note: "AUTO → default file in taskmaster.logdir, NONE → null",
  },
  { supervisord: "stdout_logfile_maxbytes", taskmaster: "stdout_maxbytes", note: "" },
  { supervisord: "stdout_logfile_backups", taskmaster: "stdout_backups", note: "" },
  {
    supervisord: "stdout_capture_maxbytes",
    taskmaster: null,
    note: "no capture mode (PROCESS_COMMUNICATION events)",
  },
  {
    supervisord: "stdout_events_enabled",
    taskmaster: "stdout_events_enabled",
    note: "",
  },
  { supervisord: "stdout_syslog", taskmaster: null, note: "no syslog output" },
  {
    supervisord: "stderr_logfile",
    taskmaster: "stderr",
    note: "AUTO → default file in taskmaster.logdir, NONE → null",
  },
  { supervisord: "stderr_logfile_maxbytes", taskmaster: "stderr_maxbytes", note: "" },
  { supervisord: "stderr_logfile_backups", taskmaster: "stderr_backups", note: "" },
  {
    supervisord: "stderr_capture_maxbytes",
    taskmaster: null,
    note: "no capture mode (PROCESS_COMMUNICATION events)",
  },
  {
    supervisord: "stderr_events_enabled",
    taskmaster: "stderr_events_enabled",
    note: "",
  },
  { supervisord: "stderr_syslog", taskmaster: null, note: "no syslog output" },
  {
    supervisord: "environment",
    taskmaster: "env",
    note: "[supervisord] environment is merged into every program",
  },
  { supervisord: "directory", taskmaster: "workingdir", note: "" },
  { supervisord: "umask", taskmaster: "umask", note: "" },
  {
    supervisord: "serverurl",
    taskmaster: null,
    note: "children always get taskmaster's own socket in SUPERVISOR_SERVER_URL",
  },
  { supervisord: "events", taskmaster: "events", note: "eventlisteners only" },
  { supervisord: "buffer_size", taskmaster: "buffer_size", note: "eventlisteners only" },
  {
    supervisord: "result_handler",
    taskmaster: null,
    note: "only supervisor's default handler (OK/FAIL) exists",
  },
];

/** `[supervisord]`, `[unix_http_server]` and other daemon-wide options. */
export const DAEMON_OPTIONS: readonly OptionMapping[] = [
  { supervisord: "supervisord.logfile", taskmaster: "taskmaster.logfile", note: "" },
  {
    supervisord: "supervisord.logfile_maxbytes",
    taskmaster: "taskmaster.logfile_maxbytes",
    note: "",
  },
  {
    supervisord: "supervisord.logfile_backups",
    taskmaster: "taskmaster.logfile_backups",
    note: "",
  },
  {
    supervisord: "supervisord.loglevel",
    taskmaster: "taskmaster.loglevel",
    note: "critical → error, warn → warning, trace/blather → debug",
  },
  { supervisord: "supervisord.pidfile", taskmaster: "taskmaster.pidfile", note: "" },
  { supervisord: "supervisord.childlogdir", taskmaster: "taskmaster.logdir", note: "" },
  {
    supervisord: "supervisord.environment",
    taskmaster: null,
    note: "merged into every program's env",
  },
  { supervisord: "unix_http_server.file", taskmaster: "taskmaster.socket", note: "" },
  {
    supervisord: "unix_http_server.chmod",
    taskmaster: null,
    note: "the socket is always 0600 (owner only)",
  },
  {
    supervisord: "unix_http_server.username",
    taskmaster: null,
    note: "no HTTP authentication; access is the socket's file mode",
  },
  {
    supervisord: "unix_http_server.password",
    taskmaster: null,
    note: "no HTTP authentication; the password is not copied",
  },
];

/** The mapping of one program option, if it is a known one. */
export function programOption(name: string): OptionMapping | undefined {
  return PROGRAM_OPTIONS.find((o) => o.supervisord === name);
}

/** supervisord's booleans (`datatypes.boolean`). */
export function supervisordBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (["yes", "true", "on", "1"].includes(v)) return true;
  if (["no", "false", "off", "0"].includes(v)) return false;
  return undefined;
}

/** supervisord's byte sizes (`50MB`, `1024`, `1kb`) in bytes. */
export function supervisordByteSize(value: string): number | undefined {
  const m = /^\s*(\d+)\s*(kb|mb|gb)?\s*$/i.exec(value);
  if (m === null) return undefined;
  const unit = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[m[2]?.toLowerCase() ?? ""] ?? 1;
  return Number(m[1]) * unit;
}

/** supervisord's `autorestart` → taskmaster's. */
export function supervisordAutorestart(
  value: string,
): "always" | "never" | "unexpected" | undefined {
  const v = value.trim().toLowerCase();
  if (v === "unexpected") return "unexpected";
  const b = supervisordBoolean(v);
  return b === undefined ? undefined : b ? "always" : "never";
}

/** taskmaster's level for a supervisord `loglevel`. */
export function supervisordLoglevel(
  value: string,
): "debug" | "info" | "warning" | "error" | undefined {
  const v = value.trim().toLowerCase();
  return ({
    critical: "error",
    error: "error",
    warn: "warning",
    warning: "warning",
    info: "info",
    debug: "debug",
    trace: "debug",
    blather: "debug",
  } as const)[v as "info"];
}
