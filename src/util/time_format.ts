/**
 * Human renderings of durations and instants, shared by status lines in the
 * supervisor and the shell.
 *
 * @module
 */

/** `0:01:02`, or `1 day, 2:03:04` past a day (Python timedelta, as supervisorctl prints). */
export function formatUptime(seconds: number): string {
  const total = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0;
  const days = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const clock = `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
  if (days === 0) return clock;
  return `${days} day${days === 1 ? "" : "s"}, ${clock}`;
}

/**
 * The description of a live process, `pid 42, uptime 0:01:02`: supervisorctl's
 * words, used by the supervisor's status, the shell and the XML-RPC view.
 */
export function describeRunning(pid: number, uptimeSeconds: number): string {
  return `pid ${pid}, uptime ${formatUptime(uptimeSeconds)}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `Nov 26 06:14 AM` in local time (supervisorctl's `%b %d %I:%M %p`). */
export function formatStopTime(epochMs: number): string {
  const d = new Date(epochMs);
  const hour12 = d.getHours() % 12 === 0 ? 12 : d.getHours() % 12;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${MONTHS[d.getMonth()]} ${pad(d.getDate())} ${pad(hour12)}:${pad(d.getMinutes())} ${
    d.getHours() < 12 ? "AM" : "PM"
  }`;
}

/** `5 s`, `0.5 s`. */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
