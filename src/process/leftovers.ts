/**
 * What of one instance may outlive its main process: the cgroup of the
 * current child, and the cgroups and process groups of earlier runs whose
 * leader exited while members lived on (a daemon that double-forked, a
 * child that ignored the stopsignal). A program that exits by itself is
 * restarted at once; these are not waited for then, but remembered, so
 * the next stop or the shutdown ends them and nothing is left behind.
 *
 * @module
 */

import type { CgroupPort } from "./cgroups.ts";
import type { LeftoverGroup } from "./group.ts";
import type { ProcessOs } from "./process_os.ts";

/** How a leftover is ended: the program's stopsignal, then SIGKILL after stoptime. */
export interface StopTerms {
  readonly signal: Deno.Signal;
  readonly stoptimeMs: number;
}

/** A cgroup of an earlier run with processes still in it. */
export interface LeftoverCgroup extends StopTerms {
  readonly cgroup: string;
}

/** One instance's cgroup and the remnants of its earlier runs. */
export class Leftovers {
  readonly #cgroups: CgroupPort | null;
  readonly #os: ProcessOs;
  /** The cgroup of the current (or last) child while anything may be in it. */
  #current: string | null = null;
  /**
   * Cgroups of earlier runs that outlived their leader. Made on first use,
   * like the next: most instances never have any (~240 B each, issue 17).
   */
  #cgroupsLeft: Set<string> | null = null;
  /** Process groups of earlier runs that outlived their leader. */
  #groupsLeft: Set<number> | null = null;
  /**
   * The current cgroup, when {@link populated} found it empty in this
   * synchronous run: the exit of a stopped child asks, then releases at once.
   */
  #emptyThisTurn: string | null = null;

  constructor(cgroups: CgroupPort | null | undefined, os: ProcessOs) {
    this.#cgroups = cgroups ?? null;
    this.#os = os;
  }

  /** The cgroup of the current (or stopping) child, null without one. */
  get cgroup(): string | null {
    return this.#current;
  }

  /**
   * The cgroup a new child was spawned into. A survivor of an earlier run
   * may share it: it is the current one again, so the next stop ends both.
   */
  adopt(cgroup: string): void {
    this.#cgroupsLeft?.delete(cgroup);
    this.#current = cgroup;
    this.#emptyThisTurn = null;
  }

  /**
   * The instance is down: an empty cgroup goes; one with survivors is kept
   * for shutdown (or the next stop) to end.
   */
  release(): void {
    const cgroup = this.#current;
    if (cgroup === null || this.#cgroups === null) return;
    this.#current = null;
    const empty = this.#emptyThisTurn === cgroup;
    this.#emptyThisTurn = null;
    if (!empty && this.#cgroups.populated(cgroup)) (this.#cgroupsLeft ??= new Set()).add(cgroup);
    else this.#cgroups.release(cgroup);
  }

  /** Whether the current cgroup still has processes. */
  populated(): boolean {
    const cgroup = this.#current;
    if (cgroup === null || this.#cgroups === null) return false;
    if (this.#cgroups.populated(cgroup)) {
      this.#emptyThisTurn = null;
      return true;
    }
    // An empty cgroup stays empty until a spawn (adopt) puts a child in it.
    this.#emptyThisTurn = cgroup;
    queueMicrotask(() => {
      if (this.#emptyThisTurn === cgroup) this.#emptyThisTurn = null;
    });
    return false;
  }

  /**
   * A child exited outside a stop: its process group is remembered if it
   * lives on, and forgotten if not (a later child may get the same pid).
   */
  noteExit(pgid: number): void {
    if (this.#os.groupExists(pgid)) (this.#groupsLeft ??= new Set()).add(pgid);
    else this.#groupsLeft?.delete(pgid);
  }

  /** Whether `pgid` outlived its leader, as {@link noteExit} found it. */
  outlived(pgid: number): boolean {
    return this.#groupsLeft?.has(pgid) ?? false;
  }

  /** Groups of earlier runs that outlived their leader and still exist. */
  groups(terms: StopTerms): LeftoverGroup[] {
    const groups = this.#groupsLeft;
    if (groups === null) return [];
    for (const pgid of groups) {
      if (!this.#os.groupExists(pgid)) groups.delete(pgid);
    }
    return [...groups].map((pgid) => ({ pgid, ...terms }));
  }

  /** Cgroups of earlier runs with processes still in them; empty ones are released. */
  cgroupsLeft(terms: StopTerms): LeftoverCgroup[] {
    const cgroups = this.#cgroups;
    const left = this.#cgroupsLeft;
    if (cgroups === null || left === null) return [];
    for (const cgroup of left) {
      if (!cgroups.populated(cgroup)) {
        cgroups.release(cgroup);
        left.delete(cgroup);
      }
    }
    return [...left].map((cgroup) => ({ cgroup, ...terms }));
  }

  /**
   * The cgroup status shows: the current one, else one its survivors still
   * hold once the program is down (they are ended at the next stop or at
   * shutdown); with how many processes are in it.
   */
  shown(): { cgroup: string | null; processes: number | null } {
    const cgroup = this.#current ?? this.#cgroupsLeft?.values().next().value ?? null;
    return {
      cgroup,
      processes: cgroup === null ? null : this.#cgroups?.count(cgroup) ?? null,
    };
  }
}
