/**
 * The kernel calls a runner makes about its own processes, as one port. The
 * daemon passes {@link systemProcessOs}; unit tests pass a fake that records
 * what would have been sent, so no unit test signals a real pid.
 *
 * @module
 */

import { groupExists, signalGroup } from "./group.ts";
import { realtimeBurst } from "./realtime_burst.ts";
import { sendSignal, signalError } from "./signals.ts";

/** Signals, group probes and the one file fact a runner needs. */
export interface ProcessOs {
  /** Sends `signal` to process `pid` alone (the `signal` command); throws as kill(2) fails. */
  kill(pid: number, signal: Deno.Signal): void;
  /** Sends `signal` to group `pgid`: false when the group is gone; other failures throw. */
  signalGroup(pgid: number, signal: Deno.Signal): boolean;
  /** Whether any process (zombies included) is in group `pgid`. */
  groupExists(pgid: number): boolean;
  /** Whether `path` is a directory; false when it is missing or unreadable. */
  isDirectory(path: string): boolean;
  /**
   * Runs a burst of signals (a stop's stopsignals) so that the programs they
   * wake do not preempt it (realtime_burst.ts).
   */
  signalBurst(send: () => void): void;
}

/** The real calls. */
export const systemProcessOs: ProcessOs = {
  kill(pid, signal) {
    const errno = sendSignal(pid, signal);
    if (errno !== 0) throw signalError(errno);
  },
  signalGroup,
  groupExists,
  signalBurst: realtimeBurst,
  isDirectory(path) {
    try {
      return Deno.statSync(path).isDirectory;
    } catch {
      return false;
    }
  },
};
