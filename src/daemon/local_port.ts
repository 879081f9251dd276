/**
 * The in-process {@link SupervisorPort}: what the foreground shell and the
 * control API call. Joins the supervisor, the output pipeline and the event
 * log; holds no policy of its own.
 *
 * Why it is shaped this way: every adapter (shell, HTTP API, dashboard,
 * XML-RPC via its own view) goes through this one port, so an answer must be
 * complete here rather than patched up by each adapter. Hence per-name
 * results (`perName`: unknown names and bad signals become results, not a
 * whole-call error the shell would have to untangle), restart `steps` read
 * before the restart, and follows that resolve only once the stream is live
 * (or reject with the reason), so a server can choose 200 or 404 without
 * racing the first chunk. Errors leave as TaskmasterError, never as a thrown
 * stack: `attempt` turns a synchronous throw into a rejection.
 *
 * @module
 */

import { discardedStreams } from "../config/discarded_streams.ts";
import {
  type ActionOptions,
  type ActionResult,
  type AlertChannelStats,
  type AlertTestResult,
  type ProcessInfo,
  type ReloadReport,
  type StateChange,
  type StreamName,
  type SupervisorPort,
} from "../api/protocol.ts";
import { type ErrorCode, hasCode, TaskmasterError } from "../util/errors.ts";
import type { OutputHub } from "../output/output_hub.ts";
import { readLastLines } from "../output/tail.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";
import { fromSubscription } from "../util/channel.ts";
import type { EventLog } from "./event_log.ts";
import type { ResourceMonitor } from "../supervisor/resources.ts";
import { type MemberLists, sharingMemberLists } from "../process/cgroups.ts";
import { VERSION } from "../version.ts";
import { parseSignal } from "../config/values.ts";
import type { DaemonAlerts } from "./alert_wiring.ts";

/** The first item of a follow: the stream is live from here on (see SupervisorPort.follow). */
const LIVE = new Uint8Array(0);

/** Records per piece of a streamed status answer (~60 KB of JSON). */
const STATUS_SLICE = 100;

/** The daemon-level actions the port delegates. */
export interface DaemonControls {
  reload(): Promise<ReloadReport>;
  shutdown(): Promise<void>;
}

/** SupervisorPort over the live supervisor. */
export class LocalPort implements SupervisorPort {
  #supervisor: Supervisor;
  #output: OutputHub;
  #log: EventLog;
  #daemon: DaemonControls;
  #resources: ResourceMonitor | null;
  #alerts: DaemonAlerts | null;

  constructor(
    supervisor: Supervisor,
    output: OutputHub,
    log: EventLog,
    daemon: DaemonControls,
    resources: ResourceMonitor | null = null,
    alerts: DaemonAlerts | null = null,
  ) {
    this.#supervisor = supervisor;
    this.#output = output;
    this.#log = log;
    this.#daemon = daemon;
    this.#resources = resources;
    this.#alerts = alerts;
  }

  alerts(): Promise<AlertChannelStats[]> {
    return Promise.resolve(this.#alerts?.stats() ?? []);
  }

  alertTest(channel: string): Promise<AlertTestResult> {
    if (this.#alerts === null) {
      return Promise.reject(new TaskmasterError("BAD_NAME", `no such alert channel: ${channel}`));
    }
    return this.#alerts.test(channel);
  }

  status(names: readonly string[] = []): Promise<ProcessInfo[]> {
    return attempt(() => {
      const infos = this.#supervisor.status(names);
      // Looking at status is looking: one fresh sample (reused if very recent).
      this.#resources?.refresh();
      return infos.map((info) => this.#record(info));
    });
  }

  statusJson(names: readonly string[] = []): Promise<ReadableStream<Uint8Array>> {
    return attempt(() => {
      const runners = this.#supervisor.statusOrder(names);
      // The sample and each slice's member counts read every cgroup once.
      const memberLists: MemberLists = new Map();
      sharingMemberLists(memberLists, () => this.#resources?.refresh());
      const encoder = new TextEncoder();
      let next = 0;
      // Each slice's records are made, written and dropped before the next:
      // built all at once, thousands of ~30-field records outlived V8's young
      // generation and the status call paid for old-generation collections.
      const slice = () => {
        const end = Math.min(runners.length, next + STATUS_SLICE);
        let text = next === 0 ? "[" : "";
        for (; next < end; next++) {
          if (next > 0) text += ",";
          text += JSON.stringify(this.#record(runners[next]!.info()));
        }
        return next === runners.length ? `${text}]` : text;
      };
      const write = (controller: ReadableStreamDefaultController<Uint8Array>) => {
        controller.enqueue(encoder.encode(sharingMemberLists(memberLists, slice)));
        if (next === runners.length) controller.close();
      };
      // `start` runs in the constructor, here: a failure in the first slice
      // is an error answer, not a 200 cut short.
      return new ReadableStream<Uint8Array>({ start: write, pull: write });
    });
  }

  /** `info` with what the daemon knows beside the runner: output drops, CPU and memory. */
  #record(info: ProcessInfo): ProcessInfo {
    const usage = info.pid === null ? undefined : this.#resources?.usage(info.name);
    // One copy of each record (they are ~30 fields, and there may be thousands).
    return {
      ...info,
      dropped_bytes: {
        stdout: this.#output.droppedBytes(info.stdout),
        stderr: info.stderr === info.stdout ? 0 : this.#output.droppedBytes(info.stderr),
      },
      cpu_percent: usage?.cpuPercent ?? info.cpu_percent,
      rss_bytes: usage?.rssBytes ?? info.rss_bytes,
    };
  }

  start(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    return this.#each(names, options, (known) => this.#supervisor.start(known, options));
  }

  stop(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    return this.#each(names, options, (known) => this.#supervisor.stop(known, options));
  }

  why(name: string): Promise<string> {
    return attempt(() => this.#supervisor.why(name));
  }

  restart(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    return this.#each(names, options, async (known) => {
      // Whether an instance was running decides whether the restart stops
      // it first; read before the restart, as the caller would have seen it.
      const running = new Set(
        this.#supervisor.status(known).filter((p) => p.pid !== null).map((p) => p.name),
      );
      const results = await this.#supervisor.restart(known);
      return results.map((result): ActionResult => ({
        ...result,
        steps: running.has(result.name) ? ["stop", "start"] : ["start"],
      }));
    });
  }

  signal(
    signal: string,
    names: readonly string[],
    options: ActionOptions = {},
  ): Promise<ActionResult[]> {
    if (options.perName && parseSignal(signal) === undefined) {
      // The signal is checked before the names, as supervisorctl does: each
      // name as given (`all` spelled out into instances) gets the error.
      const targets = names.includes("all") ? this.#supervisor.status().map((p) => p.name) : names;
      return Promise.resolve(targets.map((name) => failure(name, "BAD_SIGNAL", "bad signal name")));
    }
    return this.#each(names, options, (known) => this.#supervisor.signal(signal, known));
  }

  /**
   * Runs `call` on `names`. With `perName`, names that match nothing become
   * BAD_NAME results (listed first, as supervisorctl prints them) and the
   * call runs on the rest, if any; without, the call gets every name and
   * an unknown one fails it whole.
   */
  #each(
    names: readonly string[],
    options: ActionOptions,
    call: (names: readonly string[]) => Promise<ActionResult[]>,
  ): Promise<ActionResult[]> {
    return attempt(async () => {
      if (!options.perName) return await call(names);
      const known = names.filter((name) => this.#knows(name));
      const results = names
        .filter((name) => !known.includes(name))
        .map((name) => failure(name, "BAD_NAME", `no such process: ${name}`));
      if (known.length > 0) results.push(...await call(known));
      return results;
    });
  }

  #knows(name: string): boolean {
    try {
      this.#supervisor.resolve([name]);
      return true;
    } catch (error) {
      if (hasCode(error, "BAD_NAME")) return false;
      throw error;
    }
  }

  reload(): Promise<ReloadReport> {
    return this.#daemon.reload();
  }

  shutdown(): Promise<void> {
    return this.#daemon.shutdown();
  }

  daemonPid(): Promise<number> {
    return Promise.resolve(Deno.pid);
  }

  version(): Promise<string> {
    return Promise.resolve(VERSION);
  }

  async tail(name: string, stream: StreamName, lines: number): Promise<string> {
    const info = this.#supervisor.instance(name).info();
    const path = info[stream];
    if (path === null) {
      throw new TaskmasterError(
        "NO_FILE",
        `${info.name}'s ${stream} is discarded: nothing to tail`,
      );
    }
    return await readLastLines(path, lines);
  }

  follow(
    name: string,
    stream: StreamName,
    signal: AbortSignal,
  ): Promise<AsyncIterable<Uint8Array>> {
    return attempt(() => {
      const runner = this.#supervisor.instance(name);
      const info = runner.info();
      // Combined output is one stream (one pipe), relayed under the stdout key.
      const combined = info.stdout !== null && info.stdout === info.stderr;
      // No pipe: the program writes that stream to /dev/null itself.
      if (discardedStreams(runner.config)[stream]) {
        throw new TaskmasterError(
          "NO_FILE",
          `${info.name}'s ${stream} is /dev/null in the program: nothing to follow`,
        );
      }
      const key = `${runner.name}:${combined ? "stdout" : stream}`;
      return this.#output.follow(key, signal, { opened: LIVE, missed: missedNotice });
    });
  }

  logTail(lines: number): Promise<string> {
    return readLastLines(this.#log.path, lines);
  }

  logFollow(signal: AbortSignal): Promise<AsyncIterable<string>> {
    return attempt(() => fromSubscription<string>((push) => this.#log.subscribe(push), signal));
  }

  async sendStdin(name: string, data: Uint8Array): Promise<void> {
    const runner = this.#supervisor.instance(name);
    if (!(await runner.writeStdin(data))) {
      throw new TaskmasterError("NOT_RUNNING", `${runner.name} is not running`);
    }
  }

  clear(names: readonly string[], options: ActionOptions = {}): Promise<ActionResult[]> {
    return this.#each(names, options, async (known) => {
      const results: ActionResult[] = [];
      for (const runner of this.#supervisor.resolve(known)) {
        const info = runner.info();
        for (const path of new Set([info.stdout, info.stderr])) {
          if (path !== null) await this.#output.clear(path);
        }
        results.push({ name: runner.name, ok: true });
      }
      return results;
    });
  }

  events(signal: AbortSignal): Promise<AsyncIterable<StateChange>> {
    return attempt(() =>
      fromSubscription<StateChange>((push) => this.#supervisor.onChange(push), signal)
    );
  }
}

/**
 * What a `tail -f` that reads slower than the program writes is told in-band
 * when it loses the oldest output (supervisord's tail -f skips the same way).
 */
function missedNotice(bytes: number): Uint8Array {
  return new TextEncoder().encode(
    `\n[taskmaster: ${bytes} bytes missed: this client read too slowly]\n`,
  );
}

function failure(name: string, code: ErrorCode, message: string): ActionResult {
  return { name, ok: false, error: { code, message } };
}

/** Turns a synchronous throw (BAD_NAME…) into a rejection, as a remote call would. */
async function attempt<T>(fn: () => T | Promise<T>): Promise<T> {
  return await fn();
}
