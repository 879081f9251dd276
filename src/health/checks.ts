/**
 * One health check, run once with a hard timeout: an exec command, an HTTP
 * GET, a TCP connect, or "has a matching log line been seen". Never throws
 * and never outlives its timeout by more than the kill of an exec probe's
 * process group.
 *
 * @module
 */

import type { ProbeCheck } from "../config/types.ts";
import { signalGroup } from "../process/group.ts";
import type { Spawner, SpawnSpec } from "../process/spawner.ts";

/** The outcome of one check; `detail` says why it failed (`HTTP 503`, `timed out after 1 s`). */
export interface CheckResult {
  readonly ok: boolean;
  readonly detail: string;
}

/** What a check needs besides its config. */
export interface CheckContext {
  readonly spawner: Spawner;
  /** How an exec probe is spawned: the program's env, cwd, umask and user. */
  readonly execSpec: (argv: readonly string[]) => SpawnSpec;
  /** For `log_line`: whether a matching line was seen since the instance's spawn. */
  readonly logLineSeen: () => boolean;
}

/** Runs `check`, giving up after `timeoutMs`. */
export function runCheck(
  check: ProbeCheck,
  timeoutMs: number,
  ctx: CheckContext,
): Promise<CheckResult> {
  switch (check.kind) {
    case "exec":
      return execCheck(check.argv, timeoutMs, ctx);
    case "http":
      return httpCheck(check.url, check.status, timeoutMs);
    case "tcp":
      return tcpCheck(check.host, check.port, timeoutMs);
    case "log_line":
      return Promise.resolve(
        ctx.logLineSeen() ? ok() : { ok: false, detail: `no line matching /${check.pattern}/ yet` },
      );
  }
}

const ok = (): CheckResult => ({ ok: true, detail: "ok" });

function timedOut(timeoutMs: number): CheckResult {
  return { ok: false, detail: `timed out after ${timeoutMs / 1000} s` };
}

/** The command in its own process group; at the timeout the whole group gets SIGKILL. */
async function execCheck(
  argv: readonly string[],
  timeoutMs: number,
  ctx: CheckContext,
): Promise<CheckResult> {
  // Closed at once below: a probe reading stdin gets EOF, not a hang.
  const spawned = ctx.spawner.spawn({ ...ctx.execSpec(argv), closableStdin: true });
  if (!spawned.ok) return { ok: false, detail: spawned.reason };
  const child = spawned.child;
  // Nobody reads a probe's output: let it flow away rather than fill a pipe.
  child.stdout.cancel().catch(() => {});
  child.stderr?.cancel().catch(() => {});
  child.stdin.close().catch(() => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const status = await Promise.race([child.status, expired]);
  clearTimeout(timer);
  if (status === "timeout") {
    try {
      signalGroup(child.pid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
    await child.status;
    return timedOut(timeoutMs);
  }
  // The leader is done; what it left running in its group goes too.
  try {
    signalGroup(child.pid, "SIGKILL");
  } catch {
    // Nothing left.
  }
  if (status.code === 0) return ok();
  return {
    ok: false,
    detail: status.signal !== null ? `killed by ${status.signal}` : `exit status ${status.code}`,
  };
}

async function httpCheck(
  url: string,
  expected: number | null,
  timeoutMs: number,
): Promise<CheckResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { signal, redirect: "manual" });
    await response.body?.cancel();
    const good = expected === null
      ? response.status >= 200 && response.status < 400
      : response.status === expected;
    return good ? ok() : { ok: false, detail: `HTTP ${response.status}` };
  } catch (error) {
    if (signal.aborted) return timedOut(timeoutMs);
    return { ok: false, detail: shortError(error) };
  }
}

async function tcpCheck(host: string, port: number, timeoutMs: number): Promise<CheckResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const connecting = Deno.connect({ hostname: host, port });
  try {
    const result = await Promise.race([connecting, expired]);
    if (result === "timeout") {
      // Close the connection if it still comes through.
      connecting.then((conn) => conn.close(), () => {});
      return timedOut(timeoutMs);
    }
    result.close();
    return ok();
  } catch (error) {
    return { ok: false, detail: shortError(error) };
  } finally {
    clearTimeout(timer);
  }
}

function shortError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // fetch wraps the reason: "error sending request …: client error (Connect): Connection refused"
  const last = message.split(": ").pop() ?? message;
  return /refused/i.test(message) ? "connection refused" : last.replace(/\s*\(os error \d+\)$/, "");
}
