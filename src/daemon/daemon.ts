/**
 * Wires one daemon together and owns its lifecycle: load the config, open
 * the event log, start the supervisor and the control socket, turn signals
 * into reload/shutdown/reopen, run the shell when asked, and clean up.
 *
 * @module
 */

import { IDLE_TIMEOUT_MS, serveControlApi } from "../api/server.ts";
import { warmBodyParsing } from "../api/_http.ts";
import { warmControlRequest } from "../api/warm_request.ts";
import { floodingStreams } from "../output/relay.ts";
import { collectAllGarbage, SpawnBurstCollector, untilCalm } from "./launch_garbage.ts";
import { releaseStartupPages } from "../process/resident_pages.ts";
import { loadConfigOffThread } from "../config/load_off_thread.ts";
import { OutputHub } from "../output/output_hub.ts";
import { DenoSpawner } from "../process/spawner.ts";
import { groupAlive, reapingGroupProbe } from "../process/group.ts";
import { systemProcessOs } from "../process/process_os.ts";
import { OrphanReaper } from "../process/reaper.ts";
import { keepDescriptorsFromChildren } from "../process/descriptors.ts";
import { sharedGroupRss } from "../process/proc_table.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { DaemonStats } from "./stats.ts";
import type { WebListener } from "../web/listener.ts";
import { sleep, systemClock } from "../util/clock.ts";
import { TurnPacer } from "../util/turn_pacer.ts";
import { type EventLevel, EventLog } from "./event_log.ts";
import { LocalPort } from "./local_port.ts";
import { claimPidfile, removePidfile } from "./pidfile.ts";
import { recoverPreviousRun } from "./recovery.ts";
import { removeDirectory } from "../process/kernel_files.ts";
import { dirname } from "node:path";
import { isSupervisordPath, lazySupervisordCompat } from "../xmlrpc/lazy.ts";
import { EventListeners } from "../events/listener_pools.ts";
import { remoteEvent, supervisorStateEvent } from "../events/payloads.ts";
import { describeFdLimit, raiseFdLimit } from "./fd_limit.ts";
import { type DaemonOptions, loadWithOverrides, sharedStreamTargets } from "./daemon_config.ts";
import { configReloader } from "./config_reload.ts";
import { describeTracking, openCgroups, stateKeeper, watchResources } from "./instance_tracking.ts";
import { readyForParent, tell } from "./own_stdio.ts";
import { runLocalShell } from "./local_shell.ts";
import { startAlerts } from "./alert_wiring.ts";
import type { DaemonSignals } from "./signals.ts";
import { catchStrayErrors } from "./stray_errors.ts";
import { refusalLogger } from "./refusal_log.ts";

/** `max_memory` checks due within this long of each other share one /proc scan. */
const RSS_SCAN_MAX_AGE_MS = 200;

/**
 * How long after the last start-up step the start-up pages are dropped:
 * loading is followed by V8's compile jobs and collector runs, and usually by
 * a first client's request, which fault code back in. Dropped once those are
 * over, an idle daemon with no program keeps ~3.5 MB less (bench/RESULTS.md,
 * seventh pass).
 */
const STARTUP_SETTLE_MS = 500;
/** A launch still under way then: its own pages are dropped this long after it ends. */
const LAUNCH_SETTLE_MS = 100;

/**
 * Runs a daemon until shutdown; resolves with the process exit code. The
 * signal listeners come installed (main.ts), holding what arrives until the
 * daemon is up.
 */
export async function runDaemon(signals: DaemonSignals, options: DaemonOptions): Promise<number> {
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
  log.write("info", describeTracking(cgroups, settings.cgroup));
  const output = new OutputHub({ onError: (message) => log.write("error", message) });
  const spawner = new DenoSpawner();
  const reaper = OrphanReaper.start((pid) => spawner.isManaged(pid));
  if (reaper === null) {
    log.write("warning", "cannot become a child subreaper: orphans of programs go to PID 1");
  }
  // What every runner (programs' and event listeners') reaches the world through.
  const runnerPorts = {
    pacer: new TurnPacer(), // one budget: every instance's crashes and timers share the turns
    spawner,
    clock: systemClock,
    log: (level: EventLevel, message: string) => log.write(level, message),
    targets: sharedStreamTargets(settings.logdir),
    groupAlive: reaper === null ? groupAlive : reapingGroupProbe(() => reaper.sweep()),
    os: systemProcessOs,
    serverUrl,
  };
  // Counts the spawns after the launch (the launch has its own collection).
  let burst: SpawnBurstCollector | null = null;
  const supervisor = new Supervisor(config, {
    ...runnerPorts,
    output,
    tap: (key, listener) => output.subscribe(key, listener),
    groupRss: sharedGroupRss(RSS_SCAN_MAX_AGE_MS),
    cgroups,
    liveChanged: (change) => {
      if (change !== "spawned") return state.changedSoon();
      burst?.spawned();
      state.changed();
    },
  });
  const listeners = new EventListeners(config.eventlisteners ?? new Map(), {
    ...runnerPorts,
    supervisor,
    output,
  });
  const state = stateKeeper(
    statePath,
    supervisor,
    { cgroupRoot: cgroups?.root ?? null, serverUrl },
    (message) => log.write("error", message),
  );

  const resources = watchResources(supervisor);
  const stats = new DaemonStats();
  const alerts = await startAlerts(
    config.alerts,
    supervisor,
    spawner,
    (level, message) => log.write(level, message),
  );

  let shutdownPromise: Promise<void> | null = null;
  let stoppingBegan!: () => void;
  const stopping = new Promise<void>((resolve) => (stoppingBegan = resolve));
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));

  const reload = configReloader({
    options,
    supervisor,
    listeners,
    alerts,
    stats,
    log,
    current: () => config,
    applied: (next) => config = next,
  });

  const shutdown = (): Promise<void> => {
    shutdownPromise ??= (async () => {
      burst?.dispose();
      stoppingBegan();
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
  // Before the launch nothing runs yet: undo what was set up, say why, exit with `code`.
  const cannotStart = async (why: unknown, code: number, undo = async () => {}) => {
    const reason = why instanceof Error ? why.message : String(why);
    tell("err", `taskmaster: ${reason}`);
    log.write("error", `cannot start: ${reason}`);
    await undo();
    cgroups?.undoOpen();
    reaper?.close();
    stopCatching();
    await log.close();
    return code;
  };
  let server;
  try {
    server = await serveControlApi(port, {
      path: settings.socket,
      mount: { claims: isSupervisordPath, app: supervisord.app },
      maxConnections: settings.maxConnections,
      onRefused: refusalLogger((m) => log.write("warning", m), "control socket"),
    });
  } catch (error) {
    return await cannotStart(error, 1);
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
  if (!recovery.ok) return await cannotStart(recovery.reason, 1, () => server.close());
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
      return await cannotStart(error, 2, async () => {
        state.remove();
        await cgroups?.removeEmpty();
        await server.close();
      });
    }
  }
  const warning = await claimPidfile(settings.pidfile);
  if (warning !== null) {
    log.write("warning", warning);
    tell("err", `taskmaster: warning: ${warning}`);
  }
  log.write(
    "info",
    `taskmaster started (pid ${Deno.pid}) with ${config.file}; socket ${settings.socket}`,
  );
  alerts.daemonEvent("daemon_started", `taskmaster started (pid ${Deno.pid}) with ${config.file}`);

  // A shutdown signalled during start-up runs here, before anything is launched.
  signals.attach({
    reload: () => {
      if (shutdownPromise !== null) return;
      log.write("info", "SIGHUP received: reloading configuration");
      reload().catch(() => {/* already logged */});
    },
    shutdown: (name, held) => {
      if (shutdownPromise !== null) return; // already on its way down
      log.write("info", `${name} received${held ? " during start-up" : ""}: shutting down`);
      shutdown();
    },
    reopen: () => {
      if (shutdownPromise !== null) return; // the files are closing
      log.write("info", "SIGUSR2 received: reopening log files");
      log.reopen();
      output.reopen().catch((e) => log.write("error", `reopen failed: ${e}`));
    },
  });

  let launched = Promise.resolve();
  let launchEnded = true;
  if (shutdownPromise === null) {
    listeners.start();
    launchEnded = false;
    launched = supervisor.launch()
      .catch((e) => log.write("error", `launch failed: ${e}`))
      .finally(() => launchEnded = true);
  }
  const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
  const dropStartupPages = () => {
    if (shutdownPromise !== null) return;
    const released = releaseStartupPages();
    if (released === null) return;
    const { bytes, mappings } = released;
    log.write(
      "debug",
      `dropped ${mib(bytes)} MiB of resident start-up code (${mappings} mappings)`,
    );
  };
  // Not while output floods: the collection would stall the flood's program (see untilCalm).
  const flooding = () => floodingStreams() > 0;
  // After the launch, and after a later burst of spawns: its garbage, then the code it faulted back.
  const settle = (what: string) => {
    if (shutdownPromise !== null) return;
    const collected = collectAllGarbage();
    if (collected !== null) {
      log.write(
        "debug",
        `collected ${what}: heap ${mib(collected.before)} -> ${mib(collected.after)} MiB`,
      );
    }
    dropStartupPages();
  };
  // A program a request starts first does not wait for the spawn code to load
  // (the native part only where a cgroup or a umask will need it).
  if (config.programs.size > 0) {
    spawner.warm({
      native: cgroups !== null || [...config.programs.values()].some((p) => p.umask !== null),
    });
  }
  // The last step of start-up: the code that ran only to get here can leave
  // the resident set. A launch still under way then (hundreds of programs)
  // faults back code only launching runs: dropped again once it is over,
  // so the daemon settles at the same size however its programs came up.
  warmBodyParsing()
    .catch((e) => log.write("warning", `request schemas not loaded ahead: ${e}`))
    // The first request with a body compiles its path: here, not in a user's first `stop`.
    .then(() => warmControlRequest(settings.socket))
    .then((answered) => {
      if (!answered) log.write("debug", "the start-up warm-up request got no answer");
    })
    .then(() => sleep(systemClock, STARTUP_SETTLE_MS))
    .then(() => untilCalm(systemClock, flooding))
    .then(async () => {
      if (!launchEnded) {
        dropStartupPages();
        await launched;
        // Soon after: an idle daemon does no work at all (the bench's idle CPU
        // window opens 1 s after the last program is up).
        await sleep(systemClock, LAUNCH_SETTLE_MS);
      }
      settle("the launch's garbage");
      // From now on, a burst of spawns (`restart all`) is collected the same way once it is over.
      if (shutdownPromise === null) {
        burst = new SpawnBurstCollector(
          systemClock,
          (spawns) =>
            void untilCalm(systemClock, flooding).then(() =>
              settle(`the garbage of ${spawns} spawns`)
            ),
        );
      }
    })
    .catch((e) => log.write("error", `dropping start-up pages failed: ${e}`));
  if (options.detached && !await readyForParent(supervisor, options.wait === true, stopping)) {
    log.write("warning", "could not point stdout/stderr at /dev/null");
  }
  // The user left the shell: the daemon goes down with it.
  if (options.shell && shutdownPromise === null && await runLocalShell(port, done)) {
    await shutdown();
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

/** How long shutdown waits for queued alerts. */
const ALERT_DRAIN_MS = 5000;
/**
 * How long shutdown waits for killed orphans to die and be reaped. Short:
 * an orphan nothing killed (one that escaped its group where there are no
 * cgroups) would hold every shutdown that long.
 */
const ORPHAN_SETTLE_MS = 1000;
