/**
 * The shell's commands that only look: `status`, `pid` and `alert` (its
 * test sends a sample, but changes nothing supervised). Each makes one or
 * a few port calls and prints with `format.ts`, in supervisorctl's words
 * and exit codes.
 *
 * @module
 */

import type { ProcessInfo, SupervisorPort } from "../api/protocol.ts";
import { hasCode } from "../util/errors.ts";
import { EXIT, UsageError } from "./_errors.ts";
import { type CommandOutcome, ok, print, type ShellContext } from "./command.ts";
import { errorResultLine, formatStatusTable } from "./format.ts";

/**
 * `status` of names one of which is unknown: each name asked alone, so the
 * unknown ones can be listed and the rest shown (each process once, in order).
 */
async function statusByName(
  port: SupervisorPort,
  names: readonly string[],
): Promise<{ unknown: string[]; infos: ProcessInfo[] }> {
  const unknown: string[] = [];
  const seen = new Map<string, ProcessInfo>();
  const answers = await Promise.all(
    names.map((name) =>
      port.status([name]).catch((error) =>
        hasCode(error, "BAD_NAME") ? null : Promise.reject(error)
      )
    ),
  );
  answers.forEach((infos, i) => {
    if (infos === null) unknown.push(names[i]!);
    else for (const info of infos) if (!seen.has(info.name)) seen.set(info.name, info);
  });
  return { unknown, infos: [...seen.values()] };
}

export async function statusCommand(ctx: ShellContext, args: string[]): Promise<CommandOutcome> {
  const json = args.includes("--json");
  const names = args.filter((a) => a !== "--json");
  const flag = names.find((a) => a.startsWith("-"));
  if (flag !== undefined) throw new UsageError(`status: unknown option ${flag}`);
  let infos: ProcessInfo[];
  let unknown: string[] = [];
  try {
    infos = await ctx.port.status(names.length > 0 ? names : undefined);
  } catch (error) {
    if (!hasCode(error, "BAD_NAME")) throw error;
    ({ infos, unknown } = await statusByName(ctx.port, names));
  }
  // supervisorctl prints the unknown names first, then the table. With
  // --json they go to stderr so that stdout stays one parseable document.
  const errors = unknown.map((name) => `${errorResultLine(name, "BAD_NAME", "")}\n`).join("");
  if (json) {
    if (errors) ctx.output.err(errors);
    // With alert channels configured, their counters come along: the document
    // becomes {processes, alerts}; without, it stays the plain list.
    const channels = await ctx.port.alerts?.() ?? [];
    const doc = channels.length === 0 ? infos : { processes: infos, alerts: { channels } };
    ctx.output.out(`${JSON.stringify(doc)}\n`);
  } else {
    ctx.output.out(errors + formatStatusTable(infos));
  }
  if (unknown.length > 0) return ok(EXIT.STATUS_UNKNOWN);
  // The issue's rule (stricter than supervisorctl's): 0 only when every process shown is RUNNING.
  return ok(infos.every((p) => p.state === "RUNNING") ? EXIT.OK : EXIT.STATUS_NOT_RUNNING);
}

export async function alertCommand(ctx: ShellContext, args: string[]): Promise<CommandOutcome> {
  const [sub, ...rest] = args;
  if (sub === "test") {
    if (rest.length !== 1) throw new UsageError("alert test requires one channel name");
    if (ctx.port.alertTest === undefined) throw new UsageError("alerts are not available here");
    const result = await ctx.port.alertTest(rest[0]!);
    if (result.ok) {
      print(ctx, [`${result.channel}: test alert sent`]);
      return ok();
    }
    ctx.output.err(`${result.channel}: ERROR (${result.error ?? "unknown error"})\n`);
    return ok(EXIT.FAILED);
  }
  if (sub === "status" && rest.length === 0) {
    const channels = await ctx.port.alerts?.() ?? [];
    if (channels.length === 0) {
      print(ctx, ["no alert channels configured"]);
      return ok();
    }
    const width = Math.max(...channels.map((c) => c.name.length));
    print(
      ctx,
      channels.map((c) =>
        `${c.name.padEnd(width)}  ${
          c.type.padEnd(7)
        }  sent ${c.sent}  failed ${c.failed}  dropped ${c.dropped}  queued ${c.queued}${
          c.last_error === null ? "" : `  last error: ${c.last_error}`
        }`
      ),
    );
    return ok();
  }
  throw new UsageError(
    sub === undefined ? "alert requires a subcommand" : `alert: unknown subcommand ${sub}`,
  );
}

export async function pidCommand(ctx: ShellContext, args: string[]): Promise<CommandOutcome> {
  if (args.length === 0) {
    print(ctx, [String(await ctx.port.daemonPid())]);
    return ok();
  }
  let exitCode: number = EXIT.OK;
  for (const name of args) {
    try {
      const infos = await ctx.port.status([name]);
      // One process: its pid alone (scripts); several: `name pid` pairs.
      const several = name === "all" || infos.length > 1;
      print(ctx, infos.map((p) => several ? `${p.name} ${p.pid ?? 0}` : String(p.pid ?? 0)));
      // supervisorctl: `pid x` of a stopped process prints 0 and exits 7.
      if (name !== "all" && infos.some((p) => p.pid === null)) exitCode = EXIT.NOT_RUNNING;
    } catch (error) {
      if (!hasCode(error, "BAD_NAME")) throw error;
      print(ctx, [errorResultLine(name, "BAD_NAME", "")]);
      exitCode = EXIT.FAILED;
    }
  }
  return ok(exitCode);
}
