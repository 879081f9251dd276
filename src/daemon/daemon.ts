/**
 * Wires one daemon together and owns its lifecycle: load the config, open
 * the event log, start the supervisor and the control socket, turn signals
 * into reload/shutdown/reopen, run the shell when asked, and clean up.
 *
 * @module
 */

import { type ReloadReport } from "../api/protocol.ts";
import { TaskmasterError } from "../util/errors.ts";
import { IDLE_TIMEOUT_MS, serveControlApi } from "../api/server.ts";
import { warmBodyParsing } from "../api/_http.ts";
import { formatConfigIssue } from "../config/validate.ts";
import { loadConfig, type LoadResult } from "../config/load.ts";
import { loadConfigOffThread } from "../config/load_off_thread.ts";
import type { ProgramConfig, StreamConfig, TaskmasterConfig } from "../config/types.ts";
import { OutputHub } from "../output/output_hub.ts";
import { DenoSpawner } from "../process/spawner.ts";
import { groupAlive, reapingGroupProbe } from "../process/group.ts";
import { systemProcessOs } from "../process/process_os.ts";
import { OrphanReaper } from "../process/reaper.ts";
import { keepDescriptorsFromChildren } from "../process/descriptors.ts";
import { sharedGroupRss } from "../process/proc_table.ts";
import type { StreamTarget } from "../process/runner_deps.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { ResourceMonitor } from "../supervisor/resources.ts";
import { sampleGroups } from "../process/group_usage.ts";
import { DaemonStats } from "./stats.ts";
import type { WebListener } from "../web/listener.ts";
import { systemClock } from "../util/clock.ts";
import { EventLog } from "./event_log.ts";
import { waitForLaunch } from "./launch_wait.ts";
import { LocalPort } from "./local_port.ts";
import { leftoverPid, removePidfile, writePidfile } from "./pidfile.ts";
import { StateKeeper } from "./state_file.ts";
import { recoverPreviousRun } from "./recovery.ts";
import { cgroup2Mount, CgroupTree, pathKey } from "../process/cgroups.ts";
import { processStartTime, readKernelFile, removeDirectory } from "../process/kernel_files.ts";
import { dirname } from "node:path";
import { denoOutput } from "../util/text_output.ts";
import { isSupervisordPath, lazySupervisordCompat } from "../xmlrpc/lazy.ts";
import { EventListeners } from "../events/listener_pools.ts";
import { remoteEvent, supervisorStateEvent } from "../events/payloads.ts";
import { describeFdLimit, raiseFdLimit } from "./fd_limit.ts";
import { silenceStdio } from "./quiet_stdio.ts";
import { AlertManager } from "../alerts/manager.ts";
import { readLastLines } from "../output/tail.ts";
import { LOG_TAIL_LINES } from "../alerts/payload.ts";

/** `max_memory` checks due within this long of each other share one /proc scan. */
const RSS_SCAN_MAX_AGE_MS = 200;

/** Command-line choices for a daemon run. */
export interface DaemonOptions {
  readonly configPath: string;
  readonly shell: boolean;
  readonly logfile?: string | undefined;
  readonly pidfile?: string | undefined;
  readonly socket?: string | undefined;
  /** Started by `--detach`: stay silent on stdout/stderr once ready. */
  readonly detached?: boolean;
  /** `--detach --wait`: report ready only once the launch is over. */
  readonly wait?: boolean;
}

/**
 * Writes a line to our own stdout or stderr, which may be gone (a detached
 * daemon's parent has exited): the event log has everything anyway.
 */
function tell(stream: "out" | "err", text: string): void {
  try {
    denoOutput[stream](text.endsWith("\n") ? text : `${text}\n`);
  } catch {
    // Nobody is listening.
  }
}

/** Runs a daemon until shutdown; resolves with the process exit code. */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  // Before anything is spawned: what we inherited is ours only (descriptors.ts).
  const descriptorsKept = keepDescriptorsFromChildren();
  const fdLimit = raiseFdLimit();
  const loaded = await loadWithOverrides(options);
  if (!loaded.ok) {
    for (const line of loaded.errors) tell("err", line);
    return 2;
  }
  let config = loaded.config;
  const settings = config.settings;

  const log = await EventLog.open({
    path: settings.logfile,
    maxBytes: settings.logfileMaxBytes,
    backups: settings.logfileBackups,
    level: settings.loglevel,
    ...(options.shell || options.detached ? {} : { echo: (line: string) => tell("out", line) }),
  });
  if (!descriptorsKept) {
    log.write(
      "warning",
      "cannot mark inherited file descriptors close-on-exec: children inherit them",
    );
  }
  log.write("info", describeFdLimit(fdLimit));
  const stopCatching = catchStrayErrors((message) => log.write("error", message));
  const statePath = settings.statefile ?? `${dirname(settings.pidfile)}/taskmaster.state`;
  // Every child carries it (supervisord's variable); recovery finds the old run's children by it.
  const serverUrl = `unix://${settings.socket}`;
  const cgroups = openCgroups(settings.cgroup, statePath);
  log.write(
    "info",
    cgroups === null
      ? `process tracking: process groups only (${
        settings.cgroup === false ? "taskmaster.cgroup: false" : "no writable cgroup v2 hierarchy"
      }); a process that leaves its group (setsid) is not tracked`
      : `process tracking: every instance in its own cgroup under ${cgroups.root}`,
  );
  const output = new OutputHub({ onError: (message) => log.write("error", message) });
  const spawner = new DenoSpawner();
  const reaper = OrphanReaper.start((pid) => spawner.isManaged(pid));
  if (reaper === null) {
    log.write("warning", "cannot become a child subreaper: orphans of programs go to PID 1");
  }
  const supervisor = new Supervisor(config, {
    spawner,
    clock: systemClock,
    log: (level, message) => log.write(level, message),
    output,
    targets: (program, name) => streamTargets(program, name, settings.logdir),
    groupAlive: reaper === null ? groupAlive : reapingGroupProbe(() => reaper.sweep()),
    os: systemProcessOs,
    serverUrl,
    tap: (key, listener) => output.subscribe(key, listener),
    groupRss: sharedGroupRss(RSS_SCAN_MAX_AGE_MS),
    cgroups,
    liveChanged: (change) => change === "spawned" ? state.changed() : state.changedSoon(),
  });
  const listeners = new EventListeners(config.eventlisteners ?? new Map(), {
    supervisor,
    output,
    spawner,
    clock: systemClock,
    log: (level, message) => log.write(level, message),
    targets: (program, name) => streamTargets(program, name, settings.logdir),
    groupAlive: reaper === null ? groupAlive : reapingGroupProbe(() => reaper.sweep()),
    os: systemProcessOs,
    serverUrl,
  });
  const ownStart = processStartTime(Deno.pid);
  const ownCmdline = readKernelFile(`/proc/${Deno.pid}/cmdline`) ?? undefined;
  const state = new StateKeeper(statePath, () => ({
    version: 1,
    daemon: { pid: Deno.pid, startTime: ownStart, cmdline: ownCmdline },
    cgroupRoot: cgroups?.root ?? null,
    serverUrl,
    instances: supervisor.liveInstances().map(({ name, config, child }) => ({
      name,
      pid: child.pid,
      pgid: child.pid,
      startTime: child.startTime,
      cgroup: child.cgroup,
      stopsignal: config.stopsignal,
      stoptime: config.stoptime,
    })),
  }), (message) => log.write("error", message));

  const resources = watchResources(supervisor);
  const stats = new DaemonStats();
  const alerts = new AlertManager(config.alerts, {
    now: () => Date.now(),
    host: hostName(),
    log: (level, message) => log.write(level, message),
    spawner,
    tail: (name) => instanceTail(supervisor, name),
  });
  supervisor.onTransition((change, runner) => {
    try {
      alerts.processChange(change, {
        snapshot: runner.snapshot,
        config: runner.config,
        description: () => runner.info().description,
      });
    } catch (error) {
      // Alerting must never break supervision.
      log.write("error", `alerts: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  // A liveness or max_memory failure: told before the restart it causes.
  supervisor.onHealth((event, runner) => {
    if (event.kind !== "unhealthy") return;
    try {
      alerts.instanceEvent("unhealthy", event.name, {
        snapshot: runner.snapshot,
        config: runner.config,
        description: () => runner.info().description,
      }, event.reason);
    } catch (error) {
      log.write("error", `alerts: ${error instanceof Error ? error.message : String(error)}`);
    }
  });

  let shutdownPromise: Promise<void> | null = null;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));

  const reload = async (): Promise<ReloadReport> => {
    if (supervisor.shuttingDown) {
      throw new TaskmasterError("SHUTTING_DOWN", "taskmaster is shutting down");
    }
    // Off the event loop: supervision goes on while a big file is parsed.
    const next = await loadWithOverrides(options, loadConfigOffThread);
    if (!next.ok) {
      log.write("error", `reload rejected: ${config.file} is invalid; nothing was changed`);
      for (const line of next.errors) log.write("error", `reload rejected: ${line}`);
      stats.rejected(next.errors.length);
      alerts.daemonEvent(
        "config_error",
        `reload rejected, nothing was changed: ${next.errors.join("; ")}`,
      );
      throw new TaskmasterError("BAD_CONFIG", next.errors.join("\n"));
    }
    warnAboutDaemonSettings(config, next.config, (m) => log.write("warning", m));
    const report = await supervisor.applyConfig(next.config);
    config = next.config;
    stats.reloaded();
    alerts.configure(config.alerts);
    const summary = `config reloaded from ${config.file}: added [${
      report.added.join(", ")
    }], changed [${report.changed.join(", ")}], updated [${report.updated.join(", ")}], removed [${
      report.removed.join(", ")
    }], unchanged [${report.unchanged.join(", ")}]`;
    log.write("info", summary);
    const pools = await listeners.reconfigure(config.eventlisteners ?? new Map());
    if (pools.added.length + pools.changed.length + pools.removed.length > 0) {
      log.write(
        "info",
        `event listener pools: added [${pools.added.join(", ")}], changed [${
          pools.changed.join(", ")
        }], removed [${pools.removed.join(", ")}]`,
      );
    }
    alerts.daemonEvent("config_reloaded", summary);
    return report;
  };

  const shutdown = (): Promise<void> => {
    shutdownPromise ??= (async () => {
      log.write("info", "shutdown requested: stopping every program");
      listeners.emit(supervisorStateEvent("STOPPING"));
      alerts.daemonEvent("daemon_stopping", `taskmaster (pid ${Deno.pid}) is stopping`);
      await supervisor.shutdown();
      await listeners.stop();
      log.write("info", "shutdown complete: every program stopped");
      // Alerts still queued get a few seconds to go out (daemon_stopping among them).
      await alerts.close(ALERT_DRAIN_MS);
      finished();
    })();
    return shutdownPromise;
  };

  const port = new LocalPort(supervisor, output, log, { reload, shutdown }, resources, alerts);

  const supervisord = lazySupervisordCompat({
    supervisor,
    port,
    mainLogPath: () => log.path,
    loadConfig: () => loadWithOverrides(options, loadConfigOffThread),
    reload,
    log: (level, message) => log.write(level, message),
    remoteCommEvent: (type, data) => listeners.emit(remoteEvent(type, data)),
    extraGroups: () => listeners.groups(),
    pools: listeners,
  });
  let server;
  try {
    server = await serveControlApi(port, {
      path: settings.socket,
      mount: { claims: isSupervisordPath, app: supervisord.app },
      maxConnections: settings.maxConnections,
      onRefused: refusalLogger((m) => log.write("warning", m), "control socket"),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    tell("err", `taskmaster: ${message}`);
    log.write("error", `cannot start: ${message}`);
    reaper?.close();
    stopCatching();
    await log.close();
    return 1;
  }
  // Whatever a dead taskmaster left is stopped before anything starts; a
  // live one's state is never touched (and no command runs meanwhile).
  const recovery = await supervisor.exclusively(() =>
    recoverPreviousRun({
      statePath,
      cgroupRoot: cgroups?.root ?? null,
      serverUrl,
      log: (level, message) => log.write(level, message),
    })
  );
  if (!recovery.ok) {
    tell("err", `taskmaster: ${recovery.reason}`);
    log.write("error", `cannot start: ${recovery.reason}`);
    reaper?.close();
    stopCatching();
    await server.close();
    await log.close();
    return 1;
  }
  state.write();
  let web: WebListener | null = null;
  if (settings.http !== null) {
    try {
      // The listener, dashboard and metrics load only when taskmaster.http is set.
      const { startWebListener } = await import("./web.ts");
      web = await startWebListener(settings.http, {
        port,
        supervisor,
        resources,
        log,
        stats,
        configFile: () => config.file,
        mount: { claims: isSupervisordPath, app: supervisord.app },
      }, {
        maxConnections: settings.maxConnections,
        idleTimeoutMs: IDLE_TIMEOUT_MS,
        onRefused: refusalLogger((m) => log.write("warning", m), "http listener"),
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      tell("err", `taskmaster: ${message}`);
      log.write("error", `cannot start: ${message}`);
      state.remove();
      await cgroups?.removeEmpty();
      await server.close();
      reaper?.close();
      stopCatching();
      await log.close();
      return 2;
    }
    log.write(
      "info",
      `http: listening on ${web.url} (dashboard /, API /v1, metrics /metrics)${
        settings.http.username === null ? ", no authentication (loopback)" : ""
      }`,
    );
  }
  const previous = leftoverPid(settings.pidfile);
  // Our pid is in the file before the warning is out: whoever reads the
  // warning finds the file already current.
  await writePidfile(settings.pidfile);
  if (previous !== null) {
    const warning =
      `the taskmaster of pidfile ${settings.pidfile} (pid ${previous}) is gone without shutting down: programs it started may still be running`;
    log.write("warning", warning);
    tell("err", `taskmaster: warning: ${warning}`);
  }
  log.write(
    "info",
    `taskmaster started (pid ${Deno.pid}) with ${config.file}; socket ${settings.socket}`,
  );

  // The handlers are never removed: a client that saw the socket go may send
  // SIGTERM at once, and without a handler that would kill the process (exit
  // 143) before main's Deno.exit. They end with the process.
  listenForSignals({
    reload: () => {
      if (shutdownPromise !== null) return;
      log.write("info", "SIGHUP received: reloading configuration");
      reload().catch(() => {/* already logged */});
    },
    shutdown: (name) => {
      if (shutdownPromise !== null) return; // already on its way down
      log.write("info", `${name} received: shutting down`);
      shutdown();
    },
    reopen: () => {
      if (shutdownPromise !== null) return; // the files are closing
      log.write("info", "SIGUSR2 received: reopening log files");
      log.reopen();
      output.reopen().catch((e) => log.write("error", `reopen failed: ${e}`));
    },
  });

  listeners.start();
  supervisor.launch().catch((e) => log.write("error", `launch failed: ${e}`));
  warmBodyParsing();
  alerts.daemonEvent("daemon_started", `taskmaster started (pid ${Deno.pid}) with ${config.file}`);
  if (options.detached) {
    const failed = options.wait
      ? await waitForLaunch({
        status: () => supervisor.status(),
        onChange: (listener) => supervisor.onChange(listener),
        autostart: (p) => supervisor.config.programs.get(p.program)?.autostart ?? false,
      })
      : [];
    readyForParent(failed);
    if (!silenceStdio()) log.write("warning", "could not point stdout/stderr at /dev/null");
  }

  if (options.shell) {
    const { runShell } = await import("../shell/repl.ts");
    const { denoOutput } = await import("../util/text_output.ts");
    // A signal may shut the daemon down while the prompt is up: end the shell too.
    const shellStop = new AbortController();
    done.then(() => shellStop.abort());
    await runShell(
      { port, output: denoOutput, mode: "local", signal: shellStop.signal },
      { historyFile: historyPath() },
    );
    if (!shellStop.signal.aborted) await shutdown();
  }
  await done;

  // The signal handlers stay: a second SIGTERM during the cleanup below joins the
  // shutdown under way instead of killing the daemon with its socket and pidfile left
  // behind.
  await web?.close();
  resources.close();
  await reaper?.settle(ORPHAN_SETTLE_MS);
  reaper?.close();
  await output.close();
  state.remove();
  await cgroups?.removeEmpty();
  // The default layout's `taskmaster-<key>` parent goes too.
  if (cgroups !== null && settings.cgroup === null) removeDirectory(dirname(cgroups.root));
  removePidfile(settings.pidfile);
  log.write("info", "taskmaster exited");
  stopCatching();
  await log.close();
  // The socket goes last: clients take its disappearance as "fully down".
  await server.close();
  return 0;
}

/** CPU and memory of every live instance's process group, sampled on demand. */
function watchResources(supervisor: Supervisor): ResourceMonitor {
  return new ResourceMonitor({
    now: () => Date.now(),
    sample: (targets) => sampleGroups(targets),
    instances: () =>
      supervisor.instances().flatMap((r) => {
        const s = r.snapshot;
        const pgid = s.pid ?? s.pgid;
        return pgid === null
          ? []
          : [{ name: r.name, pgid, cgroup: r.cgroup, startedAt: s.startedAt ?? Date.now() }];
      }),
  });
}

/** How long shutdown waits for queued alerts. */
const ALERT_DRAIN_MS = 5000;
/**
 * How long shutdown waits for killed orphans to die and be reaped. Short:
 * an orphan nothing killed (one that escaped its group where there are no
 * cgroups) would hold every shutdown that long.
 */
const ORPHAN_SETTLE_MS = 1000;

function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}

/** The last lines of an instance's stdout and stderr, for an alert's `log_tail`. */
async function instanceTail(
  supervisor: Supervisor,
  name: string,
): Promise<{ stdout: string[]; stderr: string[] }> {
  const info = supervisor.instance(name).info();
  const read = async (path: string | null) =>
    path === null
      ? []
      : (await readLastLines(path, LOG_TAIL_LINES, { maxBytes: 64 * 1024 })).split("\n")
        .filter((line, i, all) => !(i === all.length - 1 && line === ""));
  const [stdout, stderr] = await Promise.all([read(info.stdout), read(info.stderr)]);
  return { stdout, stderr: info.stderr === info.stdout ? [] : stderr };
}

/**
 * The instance cgroups' parent: `taskmaster.cgroup`, or by default
 * `<cgroup2 mount>/taskmaster-<key>/taskmaster` (instances at
 * `…/taskmaster/<program>/<instance>`), the key naming the state file, so
 * two taskmasters on one machine never share (or recover) each other's
 * cgroups. Null when there is no writable cgroup v2 hierarchy (or `cgroup: false`).
 */
function openCgroups(setting: string | false | null, statePath: string): CgroupTree | null {
  if (setting === false) return null;
  if (setting !== null) return CgroupTree.open(setting);
  const mount = cgroup2Mount();
  return mount === null
    ? null
    : CgroupTree.open(`${mount}/taskmaster-${pathKey(statePath)}/taskmaster`);
}

type Loaded = { ok: true; config: TaskmasterConfig } | { ok: false; errors: string[] };

async function loadWithOverrides(
  options: DaemonOptions,
  load: (path: string) => Promise<LoadResult> = loadConfig,
): Promise<Loaded> {
  const result = await load(options.configPath);
  if (!result.ok) return { ok: false, errors: result.issues.map(formatConfigIssue) };
  const cwd = Deno.cwd();
  const abs = (p: string) => (p.startsWith("/") ? p : `${cwd}/${p}`);
  const settings = {
    ...result.config.settings,
    ...(options.logfile === undefined ? {} : { logfile: abs(options.logfile) }),
    ...(options.pidfile === undefined ? {} : { pidfile: abs(options.pidfile) }),
    ...(options.socket === undefined ? {} : { socket: abs(options.socket) }),
  };
  return { ok: true, config: { ...result.config, settings } };
}

/** Where an instance's streams go; `auto` resolves to `<logdir>/<instance>.out.log`. */
export function streamTargets(
  program: ProgramConfig,
  name: string,
  logdir: string,
): { stdout: StreamTarget; stderr: StreamTarget } {
  const target = (stream: StreamConfig, suffix: string): StreamTarget => ({
    path: stream.target.kind === "file"
      ? stream.target.path
      : stream.target.kind === "auto"
      ? `${logdir}/${name}.${suffix}.log`
      : null,
    maxBytes: stream.maxBytes,
    backups: stream.backups,
    timestamps: program.timestamps,
    flushPartialAfterMs: program.flushPartialAfter * 1000,
  });
  return { stdout: target(program.stdout, "out"), stderr: target(program.stderr, "err") };
}

function warnAboutDaemonSettings(
  prev: TaskmasterConfig,
  next: TaskmasterConfig,
  warn: (message: string) => void,
): void {
  for (const key of Object.keys(prev.settings) as (keyof TaskmasterConfig["settings"])[]) {
    if (JSON.stringify(prev.settings[key]) !== JSON.stringify(next.settings[key])) {
      warn(`taskmaster.${key} changed: it takes effect at the next start of taskmaster`);
    }
  }
}

function listenForSignals(handlers: {
  reload: () => void;
  shutdown: (name: string) => void;
  reopen: () => void;
}): void {
  const table: [Deno.Signal, () => void][] = [
    ["SIGHUP", handlers.reload],
    ["SIGTERM", () => handlers.shutdown("SIGTERM")],
    ["SIGINT", () => handlers.shutdown("SIGINT")],
    ["SIGQUIT", () => handlers.shutdown("SIGQUIT")],
    ["SIGUSR2", handlers.reopen],
  ];
  for (const [signal, handler] of table) Deno.addSignalListener(signal, handler);
}

/**
 * Tells a `--detach` parent we are up. The parent stops reading then; our
 * stderr stays a pipe nobody reads, so nothing is written to it afterwards.
 */
function readyForParent(failed: string[]): void {
  tell("err", `ready ${Deno.pid}${failed.length > 0 ? ` not running: ${failed.join(", ")}` : ""}`);
}

/**
 * Last line of defence: an error no caller handled (a rejected promise deep
 * in a stream, an EMFILE in some library) is logged instead of ending the
 * daemon, which would orphan every program. Each one is still a bug to fix.
 */
function catchStrayErrors(report: (message: string) => void): () => void {
  const describe = (e: unknown) => (e instanceof Error ? e.stack ?? e.message : String(e));
  const onRejection = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    report(
      `internal error (taskmaster keeps running): unhandled rejection: ${describe(event.reason)}`,
    );
  };
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    report(`internal error (taskmaster keeps running): ${describe(event.error)}`);
  };
  globalThis.addEventListener("unhandledrejection", onRejection);
  globalThis.addEventListener("error", onError);
  return () => {
    globalThis.removeEventListener("unhandledrejection", onRejection);
    globalThis.removeEventListener("error", onError);
  };
}

/** How often refused control connections are reported while they keep coming. */
const REFUSAL_REPORT_MS = 60_000;

/** Logs the first refused connection, then at most one line a minute with the count. */
function refusalLogger(
  warn: (message: string) => void,
  what: string,
): (refused: number, why: string) => void {
  let lastReport = -Infinity;
  let reported = 0;
  return (refused, why) => {
    const now = Date.now();
    if (now - lastReport < REFUSAL_REPORT_MS) return;
    warn(
      `${what}: refused ${refused - reported} connection(s) (${refused} in all): ${why}`,
    );
    lastReport = now;
    reported = refused;
  };
}

function historyPath(): string {
  const home = Deno.env.get("HOME");
  return home ? `${home}/.taskmaster_history` : ".taskmaster_history";
}
