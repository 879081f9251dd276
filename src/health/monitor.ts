/**
 * The health of one instance: its readiness and liveness probes and its
 * `max_memory` check, each on its own schedule while the process is alive.
 * Checks are async with hard timeouts and a probe's next check is only
 * scheduled once the previous one finished, so a probe never runs twice at
 * once. Readiness sets the runner's READY flag; a liveness or memory failure
 * restarts it through the normal restart path (the `unhealthy` event).
 *
 * @module
 */

import type { ProbeConfig, ProgramConfig } from "../config/types.ts";
import type { ProcessRunner } from "../process/runner.ts";
import type { Spawner } from "../process/spawner.ts";
import type { Clock } from "../util/clock.ts";
import { runCheck } from "./checks.ts";
import { countResult, initialCounter, type ProbeCounter } from "./probe_counter.ts";

/** A health fact worth telling (alerts, dashboards); also written to the event log. */
export interface HealthEvent {
  readonly name: string;
  readonly program: string;
  /** ready / not_ready: readiness crossed a threshold; unhealthy: a restart was asked for. */
  readonly kind: "ready" | "not_ready" | "unhealthy";
  readonly check: "readiness" | "liveness" | "max_memory";
  /** `liveness failed 3 times: HTTP 503`. */
  readonly reason: string;
  /** Epoch ms. */
  readonly at: number;
}

/** The monitor's ports. */
export interface HealthDeps {
  readonly spawner: Spawner;
  readonly clock: Clock;
  readonly log: (level: "info" | "warning" | "error", message: string) => void;
  /** Live output of an instance stream (`web:stdout`), for `log_line`. */
  readonly tap?: (key: string, listener: (chunk: Uint8Array) => void) => () => void;
  /** Resident bytes of a process group; null when unknown. */
  readonly groupRss: (pgid: number) => number | null;
  readonly onEvent: (event: HealthEvent) => void;
}

/** `max_memory` is checked this often without a probe to take the period from. */
export const DEFAULT_MEMORY_PERIOD_S = 2;
/** A partial line longer than this is dropped from `log_line` matching. */
const MAX_LINE_BYTES = 64 * 1024;

/** Health of one runner; call {@link sync} after every change of its process or config. */
export class HealthMonitor {
  #runner: ProcessRunner;
  #deps: HealthDeps;
  #generation = -1;
  #cancels: (() => void)[] = [];
  #logSeen = false;
  #logPattern: RegExp | null = null;
  #partial = "";
  #untap: (() => void)[] = [];
  #decoder: TextDecoder | null = null;
  readonly #unsubscribe: () => void;

  constructor(runner: ProcessRunner, deps: HealthDeps) {
    this.#runner = runner;
    this.#deps = deps;
    this.#unsubscribe = runner.onProcessChange(() => this.sync());
    // A monitor made (or remade on a reload) for a process already running probes it now.
    this.sync();
  }

  /** Starts probing a newly spawned process, stops when it is gone. */
  sync(): void {
    const snap = this.#runner.snapshot;
    const live = snap.pid !== null && (snap.state === "STARTING" || snap.state === "RUNNING");
    if (!live) {
      this.#stop();
      return;
    }
    if (snap.generation === this.#generation) return;
    this.#stop();
    this.#start(snap.generation);
  }

  /** New probe settings (a reload): applied live, counters start over. */
  reconfigure(): void {
    this.#stop();
    this.sync();
  }

  /** Stops every check (the instance is forgotten, or has nothing left to check). */
  dispose(): void {
    this.#unsubscribe();
    this.#stop();
  }

  #stop(): void {
    for (const cancel of this.#cancels) cancel();
    this.#cancels = [];
    for (const untap of this.#untap) untap();
    this.#untap = [];
    this.#generation = -1;
  }

  #start(generation: number): void {
    this.#generation = generation;
    const cfg = this.#runner.config;
    this.#watchLogLines(cfg);
    if (cfg.readiness !== null) this.#probe("readiness", cfg.readiness, generation);
    if (cfg.liveness !== null) this.#probe("liveness", cfg.liveness, generation);
    if (cfg.maxMemory !== null) this.#memory(cfg, generation);
  }

  #watchLogLines(cfg: ProgramConfig): void {
    this.#logSeen = false;
    this.#partial = "";
    const patterns = [cfg.readiness, cfg.liveness]
      .map((p) => p?.check.kind === "log_line" ? p.check.pattern : null)
      .filter((p) => p !== null);
    if (patterns.length === 0 || this.#deps.tap === undefined) return;
    this.#logPattern = new RegExp(patterns.map((p) => `(?:${p})`).join("|"));
    for (const stream of ["stdout", "stderr"]) {
      this.#untap.push(
        this.#deps.tap(`${this.#runner.name}:${stream}`, (chunk) => this.#onOutput(chunk)),
      );
    }
  }

  #onOutput(chunk: Uint8Array): void {
    if (this.#logSeen || this.#logPattern === null) return;
    const text = this.#partial +
      (this.#decoder ??= new TextDecoder()).decode(chunk, { stream: true });
    const lines = text.split("\n");
    this.#partial = lines.pop() ?? "";
    if (this.#partial.length > MAX_LINE_BYTES) this.#partial = "";
    if (lines.some((line) => this.#logPattern!.test(line))) this.#logSeen = true;
  }

  /** Runs `task` at `at`, then whenever it returns a next time; stops with #stop. */
  #every(at: number, task: () => Promise<number | null>): void {
    let cancel = () => {};
    let stopped = false;
    const run = async () => {
      if (stopped) return;
      const next = await task();
      if (stopped || next === null) return;
      cancel = this.#deps.clock.schedule(next, run);
    };
    cancel = this.#deps.clock.schedule(at, run);
    this.#cancels.push(() => {
      stopped = true;
      cancel();
    });
  }

  #probe(which: "readiness" | "liveness", probe: ProbeConfig, generation: number): void {
    const clock = this.#deps.clock;
    let counter: ProbeCounter = initialCounter(which === "liveness");
    const ctx = {
      spawner: this.#deps.spawner,
      execSpec: (argv: readonly string[]) => this.#runner.spawnSpec(argv),
      logLineSeen: () => this.#logSeen,
    };
    this.#every(clock.now() + probe.initialDelay * 1000, async () => {
      const began = clock.now();
      const result = await runCheck(probe.check, probe.timeout * 1000, ctx);
      if (this.#generation !== generation) return null;
      const counted = countResult(counter, result.ok, probe);
      counter = counted.next;
      if (which === "readiness") this.#readinessResult(counted, probe, result.detail);
      else if (counted.thresholdReached) {
        this.#unhealthy(
          "liveness",
          `liveness failed ${probe.failureThreshold} time${
            probe.failureThreshold === 1 ? "" : "s"
          }: ${result.detail}`,
          generation,
        );
      }
      return Math.max(clock.now(), began + probe.period * 1000);
    });
  }

  #readinessResult(
    counted: ReturnType<typeof countResult>,
    probe: ProbeConfig,
    detail: string,
  ): void {
    const name = this.#runner.name;
    if (counted.becamePassing) {
      this.#runner.setReady(true);
      this.#tell("info", `ready: ${name} (readiness passed)`, "ready", "readiness", "passed");
    } else if (counted.thresholdReached && this.#runner.ready === true) {
      this.#runner.setReady(false);
      const reason = `readiness failed ${probe.failureThreshold} times: ${detail}`;
      this.#tell("warning", `not ready: ${name} (${reason})`, "not_ready", "readiness", reason);
    }
  }

  #memory(cfg: ProgramConfig, generation: number): void {
    const clock = this.#deps.clock;
    const period = (cfg.liveness?.period ?? cfg.readiness?.period ?? DEFAULT_MEMORY_PERIOD_S) *
      1000;
    this.#every(clock.now() + period, () => {
      const snap = this.#runner.snapshot;
      if (this.#generation !== generation || snap.pgid === null) return Promise.resolve(null);
      const rss = this.#deps.groupRss(snap.pgid);
      const limit = this.#runner.config.maxMemory;
      if (rss !== null && limit !== null && rss > limit) {
        this.#unhealthy(
          "max_memory",
          `max_memory exceeded: ${formatBytes(rss)} > ${formatBytes(limit)}`,
          generation,
        );
      }
      return Promise.resolve(clock.now() + period);
    });
  }

  #unhealthy(check: "liveness" | "max_memory", reason: string, generation: number): void {
    if (this.#runner.state !== "RUNNING") return;
    this.#deps.onEvent({
      name: this.#runner.name,
      program: this.#runner.program,
      kind: "unhealthy",
      check,
      reason,
      at: this.#deps.clock.now(),
    });
    // The transition logs `unhealthy: NAME (reason), restarting` and stops, then restarts.
    this.#runner.dispatch({ kind: "unhealthy", generation, reason });
  }

  #tell(
    level: "info" | "warning",
    message: string,
    kind: HealthEvent["kind"],
    check: HealthEvent["check"],
    reason: string,
  ): void {
    this.#deps.log(level, message);
    this.#deps.onEvent({
      name: this.#runner.name,
      program: this.#runner.program,
      kind,
      check,
      reason,
      at: this.#deps.clock.now(),
    });
  }
}

/** `512.0 MB` (MiB, as `max_memory: 512MB` means). */
export function formatBytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
