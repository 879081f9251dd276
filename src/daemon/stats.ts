/**
 * The daemon's own counters (start time, reloads, config errors) that the
 * metrics endpoint reports. Kept apart from web.ts so the daemon can count
 * without loading the TCP listener's code when no listener is configured.
 *
 * @module
 */

/** Reload outcomes since start, for /metrics. */
export class DaemonStats {
  readonly startTime = Date.now() / 1000;
  reloadsSucceeded = 0;
  reloadsFailed = 0;
  /** Issues found by the last reload attempt (0 after a valid one). */
  configErrors = 0;

  reloaded(): void {
    this.reloadsSucceeded++;
    this.configErrors = 0;
  }

  rejected(issues: number): void {
    this.reloadsFailed++;
    this.configErrors = issues;
  }
}
