/**
 * Reading one mapping of the `alerts:` section: known keys, typed options,
 * and `${NAME}` expansion from taskmaster's environment, with issues that
 * quote what was written (never what a variable expanded to).
 *
 * @module
 */

import type { IssueList } from "../config/issues.ts";
import type { Pos, YEntry, YNode } from "../config/parse.ts";
import { didYouMean } from "../config/suggest.ts";
import * as v from "../config/values.ts";

/** Reads taskmaster's environment (injected in tests). */
export type EnvLookup = (name: string) => string | undefined;

/** What every reader of the section shares. */
export interface Ctx {
  readonly issues: IssueList;
  readonly baseDir: string;
  readonly env: EnvLookup;
}

/** The known keys of a mapping, each once; unknown and duplicate keys are issues. */
export function readKeys(
  node: YNode & { kind: "map" },
  known: readonly string[],
  prefix: string,
  ctx: Ctx,
): Map<string, YEntry> {
  const out = new Map<string, YEntry>();
  for (const e of node.entries) {
    if (!known.includes(e.key)) {
      ctx.issues.add(
        e.keyPos,
        null,
        `${prefix}.${e.key}`,
        `unknown key "${e.key}"${didYouMean(e.key, known)}`,
      );
    } else if (out.has(e.key)) {
      ctx.issues.add(
        e.keyPos,
        null,
        `${prefix}.${e.key}`,
        `duplicate key (first set on line ${out.get(e.key)?.keyPos.line})`,
      );
    } else {
      out.set(e.key, e);
    }
  }
  return out;
}

/** Typed reads of one mapping's options, with `${NAME}` expansion of strings. */
export class Reader {
  readonly #ctx: Ctx;
  readonly #prefix: string;
  readonly #secrets: string[];
  #mapPos: Pos | null = null;

  constructor(ctx: Ctx, prefix: string, secrets: string[]) {
    this.#ctx = ctx;
    this.#prefix = prefix;
    this.#secrets = secrets;
  }

  get baseDir(): string {
    return this.#ctx.baseDir;
  }

  keys(node: YNode & { kind: "map" }, known: readonly string[]): Map<string, YEntry> {
    this.#mapPos = node.pos;
    return readKeys(node, known, this.#prefix, this.#ctx);
  }

  secret(value: string): void {
    this.#secrets.push(value);
  }

  #report(entry: YEntry, at?: YNode): v.Report {
    return this.#ctx.issues.reporter(at ?? entry.value, null, `${this.#prefix}.${entry.key}`);
  }

  bad(o: Map<string, YEntry>, key: string, message: string, quote = true): void {
    const e = o.get(key);
    if (e === undefined) return;
    this.#report(e)(quote ? `${message}, got ${v.describe(e.value)}` : message);
  }

  /** Expands `${NAME}`; reports a missing variable and returns undefined. */
  expand(text: string, report: v.Report): string | undefined {
    let missing: string | undefined;
    const out = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const value = this.#ctx.env(name);
      if (value === undefined) {
        missing ??= name;
        return "";
      }
      this.#secrets.push(value);
      return value;
    });
    if (missing !== undefined) {
      report(`environment variable ${missing} is not set (used as \${${missing}})`);
      return undefined;
    }
    return out;
  }

  #scalarText(node: YNode, report: v.Report): string | undefined {
    if (node.kind === "scalar" && typeof node.value === "string" && node.value.trim() !== "") {
      return this.expand(node.value, report);
    }
    if (node.kind === "scalar" && typeof node.value === "number") return node.source;
    report(`expected a non-empty string, got ${v.describe(node)}`);
    return undefined;
  }

  string(o: Map<string, YEntry>, key: string, required: boolean): string | undefined {
    const e = o.get(key);
    if (e === undefined) {
      if (required) {
        this.#ctx.issues.add(
          this.#mapPos,
          null,
          `${this.#prefix}.${key}`,
          `missing required key "${key}"`,
        );
      }
      return undefined;
    }
    return this.#scalarText(e.value, this.#report(e));
  }

  list(o: Map<string, YEntry>, key: string): string[] | undefined {
    const e = o.get(key);
    if (e === undefined) return undefined;
    const items = e.value.kind === "seq" ? e.value.items : [e.value];
    const out: string[] = [];
    for (const item of items) {
      const s = this.#scalarText(item, this.#report(e, item));
      if (s !== undefined) out.push(s);
    }
    if (items.length === 0) this.#report(e)(`expected a non-empty list`);
    return out.length === items.length ? out : undefined;
  }

  headers(o: Map<string, YEntry>): Record<string, string> {
    const e = o.get("headers");
    if (e === undefined) return {};
    if (e.value.kind !== "map") {
      this.#report(e)(`expected a mapping of header names to values, got ${v.describe(e.value)}`);
      return {};
    }
    const out: Record<string, string> = {};
    for (const h of e.value.entries) {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(h.key)) {
        this.#report(e, h.value)(`invalid header name ${JSON.stringify(h.key)}`);
        continue;
      }
      const value = this.#scalarText(
        h.value,
        this.#ctx.issues.reporter(h.value, null, `${this.#prefix}.headers.${h.key}`),
      );
      if (value !== undefined) out[h.key] = value;
    }
    return out;
  }

  positive(o: Map<string, YEntry>, key: string, fallback: number): number {
    const e = o.get(key);
    if (e === undefined) return fallback;
    const n = v.seconds(e.value, this.#report(e));
    if (n === 0) this.#report(e)(`expected a number of seconds > 0, got ${v.describe(e.value)}`);
    return n ?? fallback;
  }

  seconds(o: Map<string, YEntry>, key: string, fallback: number): number {
    const e = o.get(key);
    return e === undefined ? fallback : v.seconds(e.value, this.#report(e)) ?? fallback;
  }

  int(o: Map<string, YEntry>, key: string, fallback: number, min: number, max: number): number {
    const e = o.get(key);
    return e === undefined ? fallback : v.integer(e.value, this.#report(e), min, max) ?? fallback;
  }

  bool(o: Map<string, YEntry>, key: string, fallback: boolean): boolean {
    const e = o.get(key);
    return e === undefined ? fallback : v.boolean(e.value, this.#report(e)) ?? fallback;
  }
}
