/**
 * Per-instance CPU % and memory, measured only while someone looks: a
 * dashboard or `top` holds a {@link ResourceMonitor.watch} (one sample a
 * second while any is held), and a status call or a metrics scrape asks for
 * one fresh sample. With nobody looking there is no timer at all, so an idle
 * daemon stays at zero CPU.
 *
 * Pure apart from its ports (the /proc sampler and the clock): tests drive it
 * with numbers and time of their own.
 *
 * @module
 */

import type { GroupTarget, GroupUsage } from "../process/group_usage.ts";

/** A live instance to measure. */
export interface MeasuredInstance extends GroupTarget {
  readonly name: string;
  /** Epoch ms its process started: the baseline for a first CPU % figure. */
  readonly startedAt: number;
}

/** The figures of one instance, as status, metrics and the dashboard show them. */
export interface Usage {
  /** Percent of one core over the last interval (100 = one core busy). */
  readonly cpuPercent: number;
  readonly rssBytes: number;
  /** CPU seconds used by the current process group so far. */
  readonly cpuSeconds: number;
}

/** One point of an instance's recent history. */
export interface UsagePoint {
  /** Epoch ms. */
  readonly at: number;
  readonly cpuPercent: number;
  readonly rssBytes: number;
}

/** Options of {@link ResourceMonitor}. */
export interface ResourceMonitorOptions {
  /** Measures groups; null when /proc cannot be read (figures stay zero). */
  readonly sample: (targets: readonly GroupTarget[]) => Map<number, GroupUsage> | null;
  /** The instances to measure now (live ones only). */
  readonly instances: () => readonly MeasuredInstance[];
  readonly now: () => number;
  /** @default 1000 */
  readonly intervalMs?: number;
  /**
   * Points kept per instance for sparklines, from the samples taken while
   * watched. @default 180 (3 minutes at 1 s)
   */
  readonly historyLength?: number;
  /** A refresh() this soon after a sample reuses it. @default 500 */
  readonly freshMs?: number;
}

interface Track {
  pgid: number;
  /** Start of the window the next CPU % covers (epoch ms)… */
  at: number;
  /** …and the group's CPU seconds then. */
  cpuBase: number;
  usage: Usage;
  /** Made by the first point: most instances are never watched. */
  history: UsagePoint[] | null;
}

const ZERO: Usage = { cpuPercent: 0, rssBytes: 0, cpuSeconds: 0 };
const NO_POINTS: readonly UsagePoint[] = [];
/** A track's pgid while no process of it has been measured (never, or stopped since). */
const NO_PROCESS = -1;

/**
 * The shortest window a CPU % is computed over. CPU time comes in 10 ms
 * ticks, and a process sampled a few dozen ms after its start has spent one
 * or two on its exec: `sleep` would show 17%. Until the window is this long
 * the figure stays what it was (0 for a new process).
 */
const MIN_WINDOW_MS = 500;

/** Samples on demand and keeps the last figures and a short history per instance. */
export class ResourceMonitor {
  #options: ResourceMonitorOptions;
  #tracks = new Map<string, Track>();
  #watchers = 0;
  /** The running instances (`name:pgid`) the last sample measured. */
  #lastRunning = "";
  #timer: ReturnType<typeof setInterval> | null = null;
  #lastSample = -Infinity;
  #listeners = new Set<() => void>();

  constructor(options: ResourceMonitorOptions) {
    this.#options = options;
  }

  /** Whether a periodic sampler runs (someone is looking). */
  get watching(): boolean {
    return this.#watchers > 0;
  }

  /**
   * Samples every interval until the returned function is called (by every
   * watcher: the timer stops with the last one).
   */
  watch(): () => void {
    this.#watchers++;
    if (this.#timer === null) {
      this.refresh(true);
      this.#timer = setInterval(() => this.refresh(true), this.#options.intervalMs ?? 1000);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#watchers--;
      if (this.#watchers === 0 && this.#timer !== null) {
        clearInterval(this.#timer);
        this.#timer = null;
      }
    };
  }

  /** Called after every sample; returns the unsubscribe function. */
  onSample(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Takes a sample now, unless one was taken within `freshMs` (or `force`). */
  refresh(force = false): void {
    const now = this.#options.now();
    const instances = this.#options.instances();
    // A sample taken before an instance (re)started says nothing about it: `top` right
    // after a start would show it using no memory at all.
    const running = instances.map((i) => `${i.name}:${i.pgid}`).join(" ");
    const fresh = now - this.#lastSample < (this.#options.freshMs ?? 500) &&
      running === this.#lastRunning;
    if (!force && fresh) return;
    this.#lastSample = now;
    this.#lastRunning = running;
    const usage = this.#options.sample(instances) ?? new Map<number, GroupUsage>();
    const seen = new Set<string>();
    for (const instance of instances) {
      seen.add(instance.name);
      const measured = usage.get(instance.pgid);
      if (measured === undefined) continue;
      this.#record(instance, measured, now);
    }
    // Gone or stopped instances keep their history, but no longer use anything.
    for (const [name, track] of this.#tracks) {
      if (seen.has(name)) continue;
      track.usage = ZERO;
      track.pgid = NO_PROCESS; // a reused pgid later is a new process, measured from its start
    }
    for (const listener of this.#listeners) listener();
  }

  #record(instance: MeasuredInstance, measured: GroupUsage, now: number): void {
    // Updated in place: a status samples every instance, and a new record each
    // time was garbage the size of the fleet.
    let track = this.#tracks.get(instance.name);
    if (track === undefined) {
      track = { pgid: NO_PROCESS, at: 0, cpuBase: 0, usage: ZERO, history: null };
      this.#tracks.set(instance.name, track);
    }
    // A first sample of a process compares against its start: the average so far.
    const same = track.pgid === instance.pgid;
    const since = same ? track.at : instance.startedAt;
    const base = same ? track.cpuBase : 0;
    const shown = same ? track.usage : ZERO;
    // A member reaped outside the group takes its time along: never go backwards.
    const cpuSeconds = Math.max(shown.cpuSeconds, measured.cpuSeconds);
    const windowMs = now - since;
    const settled = windowMs >= MIN_WINDOW_MS;
    const cpuPercent = settled
      ? round1((Math.max(0, cpuSeconds - base) / (windowMs / 1000)) * 100)
      : shown.cpuPercent;
    track.pgid = instance.pgid;
    track.usage = { cpuPercent, rssBytes: measured.rssBytes, cpuSeconds };
    // Too short a window keeps its start, so the next sample measures over a longer one.
    track.at = settled ? now : since;
    track.cpuBase = settled ? cpuSeconds : base;
    // History feeds sparklines, which only a watcher draws: the samples of a status
    // call or a metrics scrape would otherwise pile up to historyLength points for
    // every instance (~13 KB each: ~73 bytes a point) with nobody looking.
    if (this.#watchers > 0) {
      const history = track.history ??= [];
      history.push({ at: now, cpuPercent, rssBytes: measured.rssBytes });
      const limit = this.#options.historyLength ?? 180;
      if (history.length > limit) history.splice(0, history.length - limit);
    }
  }

  /** The last figures of an instance (zeros when not running or never sampled). */
  usage(name: string): Usage {
    return this.#tracks.get(name)?.usage ?? ZERO;
  }

  /** Recent points of an instance, oldest first: the samples taken while watched. */
  history(name: string): readonly UsagePoint[] {
    return this.#tracks.get(name)?.history ?? NO_POINTS;
  }

  /** Drops instances that no longer exist (after a reload removed them). */
  retain(names: ReadonlySet<string>): void {
    for (const name of this.#tracks.keys()) if (!names.has(name)) this.#tracks.delete(name);
  }

  /** Stops the timer for good (daemon shutdown). */
  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#watchers = 0;
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
