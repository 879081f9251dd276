/**
 * The daemon's last line of defence against its own bugs.
 *
 * @module
 */

/**
 * Last line of defence: an error no caller handled (a rejected promise deep
 * in a stream, an EMFILE in some library) is logged instead of ending the
 * daemon, which would orphan every program. Each one is still a bug to fix.
 */
export function catchStrayErrors(report: (message: string) => void): () => void {
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
