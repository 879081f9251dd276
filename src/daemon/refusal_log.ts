/**
 * The event-log lines for connections refused at the connection cap (the
 * control socket's and the HTTP listener's): the first one at once, then
 * at most one a minute with the count, so a flood cannot flood the log.
 *
 * @module
 */

/** How often refused control connections are reported while they keep coming. */
const REFUSAL_REPORT_MS = 60_000;

/** Logs the first refused connection, then at most one line a minute with the count. */
export function refusalLogger(
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
