/**
 * The daemon's signals: SIGHUP reloads, SIGTERM/SIGINT/SIGQUIT shut down,
 * SIGUSR2 reopens the log files. The handlers are installed first thing and
 * never removed. Deno keeps the default action (death, exit 143) for a
 * SIGTERM, SIGINT or SIGHUP that no listener takes, once any listener is
 * installed (the reaper's SIGCHLD one among them). So without ours, a signal
 * sent while the daemon starts (recovery of a dead run can take stoptime
 * seconds, with the socket already answering) would kill it with its socket
 * and state file left behind; and a client that saw the socket go may send
 * SIGTERM at once, or a second one during the cleanup.
 *
 * Until the daemon is up, what arrives is held and handed over when it
 * attaches: a shutdown then runs before anything is launched; a reload or
 * reopen runs as the launch begins, as if sent a moment later.
 *
 * @module
 */

/** What the daemon does with each signal once it is up. */
export interface SignalHandlers {
  reload: () => void;
  /** `held`: the signal came during start-up and is handed over now. */
  shutdown: (name: string, held: boolean) => void;
  reopen: () => void;
}

/** The daemon's signal listeners; `attach` once the daemon can act on them. */
export interface DaemonSignals {
  /** From now on signals go to `handlers`; what arrived before is handed over now. */
  attach(handlers: SignalHandlers): void;
}

/** Installs the listeners for the life of the process, holding signals until attached. */
export function listenForSignals(
  listen: (signal: Deno.Signal, handler: () => void) => void = Deno.addSignalListener,
): DaemonSignals {
  let handlers: SignalHandlers | null = null;
  let heldShutdown: string | null = null;
  let heldReload = false;
  let heldReopen = false;
  const stop = (name: string) => () => {
    if (handlers !== null) handlers.shutdown(name, false);
    else heldShutdown ??= name;
  };
  const reload = () => {
    if (handlers !== null) handlers.reload();
    else heldReload = true;
  };
  const reopen = () => {
    if (handlers !== null) handlers.reopen();
    else heldReopen = true;
  };
  const table: [Deno.Signal, () => void][] = [
    ["SIGHUP", reload],
    ["SIGTERM", stop("SIGTERM")],
    ["SIGINT", stop("SIGINT")],
    ["SIGQUIT", stop("SIGQUIT")],
    ["SIGUSR2", reopen],
  ];
  for (const [signal, handler] of table) listen(signal, handler);
  return {
    attach(next) {
      handlers = next;
      // A shutdown makes a held reload or reopen moot: the files close, nothing starts.
      if (heldShutdown !== null) next.shutdown(heldShutdown, true);
      else {
        if (heldReopen) next.reopen();
        if (heldReload) next.reload();
      }
    },
  };
}
