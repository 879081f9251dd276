/**
 * The daemon's signals: SIGHUP reloads, SIGTERM/SIGINT/SIGQUIT shut down,
 * SIGUSR2 reopens the log files. The handlers are never removed: a client
 * that saw the socket go may send SIGTERM at once, and without a handler
 * that would kill the process (exit 143) before main's Deno.exit; a second
 * SIGTERM during the cleanup joins the shutdown under way.
 *
 * @module
 */

/** Installs the handlers for the life of the process. */
export function listenForSignals(handlers: {
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
