/**
 * Raises the soft limit on open files toward the hard limit at start, as
 * supervisord's `minfds` does: each program instance holds up to three pipe
 * ends and each control client one socket, and the common soft limit of 1024
 * runs out at a few hundred instances. The daemon copes with EMFILE anyway
 * (spawns fail into BACKOFF, clients are refused); this makes it rarer.
 *
 * @module
 */

import { libc } from "../process/libc.ts";

const RLIMIT_NOFILE = 7;
/** Linux's default fs.nr_open: a soft limit above it is refused (EPERM). */
const NR_OPEN_DEFAULT = 1_048_576;

/** The limit before and after, or null when it cannot be read. */
export interface FdLimit {
  readonly before: number;
  readonly soft: number;
  readonly hard: number;
}

/** Reads RLIMIT_NOFILE and raises the soft limit as far as the kernel allows. */
export function raiseFdLimit(): FdLimit | null {
  const c = libc();
  if (c === null) return null;
  const limits = new BigUint64Array(2);
  if (c.symbols.getrlimit(RLIMIT_NOFILE, limits) !== 0) return null;
  const before = limits[0]!;
  const hard = limits[1]!;
  // An unlimited hard limit is RLIM_INFINITY; the kernel still caps at nr_open.
  let target = hard < BigInt(NR_OPEN_DEFAULT) ? hard : BigInt(NR_OPEN_DEFAULT);
  while (target > before) {
    limits[0] = target;
    limits[1] = hard;
    if (c.symbols.setrlimit(RLIMIT_NOFILE, limits) === 0) break;
    target /= 2n;
  }
  c.symbols.getrlimit(RLIMIT_NOFILE, limits);
  return { before: Number(before), soft: Number(limits[0]!), hard: Number(limits[1]!) };
}

/** The event-log line for {@link raiseFdLimit}'s result. */
export function describeFdLimit(limit: FdLimit | null): string {
  if (limit === null) return "file descriptor limit unknown (no FFI): not raised";
  const hard = limit.hard >= 2 ** 53 ? "unlimited" : String(limit.hard);
  return limit.soft > limit.before
    ? `file descriptor limit raised from ${limit.before} to ${limit.soft} (hard limit ${hard})`
    : `file descriptor limit is ${limit.soft} (hard limit ${hard})`;
}
