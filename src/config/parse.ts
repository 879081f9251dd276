/**
 * YAML text → a small tree of nodes that remember where they came from.
 *
 * The validator never sees the `yaml` library's classes: it walks {@link YNode}s, each
 * carrying a 1-based line and column, and each scalar keeping its source text
 * (`umask: 022` must stay "022", not the number 22). Syntax errors come back as
 * positioned messages instead of exceptions.
 *
 * @module
 */

import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from "yaml";
import type { Document, Node as YamlNode } from "yaml";
import { MAX_NESTING, nestingTooDeep } from "./yaml_nesting.ts";

/** A 1-based position in the config file. */
export interface Pos {
  readonly line: number;
  readonly column: number;
}

/** One `key: value` of a mapping. */
export interface YEntry {
  /** The key's source text (`123:` gives "123", not a number). */
  readonly key: string;
  readonly keyPos: Pos;
  readonly value: YNode;
  /** Came from a `<<: *anchor` merge rather than being written in this mapping. */
  readonly merged: boolean;
}

/** A parsed YAML value with its position. */
export type YNode =
  | { readonly kind: "map"; readonly pos: Pos; readonly entries: readonly YEntry[] }
  | { readonly kind: "seq"; readonly pos: Pos; readonly items: readonly YNode[] }
  | {
    readonly kind: "scalar";
    readonly pos: Pos;
    /** What YAML made of it (YAML 1.2 core schema: `yes` is a string, `022` is 22). */
    readonly value: string | number | boolean | null;
    /** The text as written (for quoted strings: the decoded string). "" for an empty value. */
    readonly source: string;
    /** Written in quotes or as a block scalar, so certainly meant as a string. */
    readonly quoted: boolean;
  };

/** A YAML syntax error. */
export interface SyntaxIssue {
  readonly message: string;
  readonly pos: Pos | null;
}

/** The outcome of {@link parseYaml}: a root (null for an empty document) or syntax errors. */
export interface ParsedYaml {
  readonly root: YNode | null;
  readonly errors: readonly SyntaxIssue[];
}

// Guards against alias chains that loop back on themselves (`&a [*a]`).
const MAX_DEPTH = 64;

/**
 * How many nodes aliases may expand to in one document. Ten anchors of ten
 * aliases each are 10^10 nodes in a few hundred bytes (an "alias bomb"); the
 * `yaml` package's own guard (`maxAliasCount`) only applies to `toJS()`,
 * which we do not use, so the tree built here counts for itself. A real
 * config merging a 20-key `defaults` into 1,000 programs needs 20,000.
 */
export const MAX_ALIAS_NODES = 100_000;

/**
 * Parses YAML text. Never throws: syntax errors are returned with line and column.
 * Duplicate keys are kept (the validator reports them with program and key context).
 */
export function parseYaml(text: string): ParsedYaml {
  const tooDeep = nestingTooDeep(text);
  if (tooDeep !== null) {
    return {
      root: null,
      errors: [{ message: `nested more than ${MAX_NESTING} levels deep`, pos: tooDeep }],
    };
  }
  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, {
      keepSourceTokens: true,
      lineCounter,
      uniqueKeys: false,
      prettyErrors: true,
    });
  } catch (err) {
    // The library reports problems through doc.errors; a throw here is its stack running
    // out on absurd nesting (or a bug), and a config file must still never crash the daemon.
    const why = err instanceof RangeError ? "the document is nested too deeply" : String(err);
    return { root: null, errors: [{ message: why, pos: { line: 1, column: 1 } }] };
  }
  // Warnings (an unresolved `!tag`) count as errors: a strict config ignores nothing silently.
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    const errors = problems.map((e) => {
      const at = e.linePos?.[0];
      return {
        message: cleanMessage(e.message),
        pos: at ? { line: at.line, column: at.col } : null,
      };
    });
    return { root: null, errors };
  }
  const posOf = (offset: number): Pos => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.contents === null) return { root: null, errors: [] };
  const walk: Walk = {
    targets: aliasTargets(doc),
    posOf,
    aliasBudget: MAX_ALIAS_NODES,
    bomb: null,
  };
  let root: YNode;
  try {
    root = convert(doc.contents, walk, 0, false);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return {
      root: null,
      errors: [{ message: "the document is nested too deeply", pos: { line: 1, column: 1 } }],
    };
  }
  if (walk.bomb !== null) {
    return {
      root: null,
      errors: [{
        message: `aliases expand to more than ${MAX_ALIAS_NODES} nodes (an alias bomb?)`,
        pos: walk.bomb,
      }],
    };
  }
  return { root, errors: [] };
}

/** State of one conversion. */
interface Walk {
  /** Each alias's anchored node, found in one pass (Alias.resolve() walks the whole document). */
  readonly targets: Map<YamlNode, YamlNode>;
  readonly posOf: (offset: number) => Pos;
  /** Nodes aliases may still expand to. */
  aliasBudget: number;
  /** Where the budget ran out, once it has. */
  bomb: Pos | null;
}

/** Each alias → the node it names: the last anchor of that name before it, as YAML says. */
function aliasTargets(doc: Document.Parsed): Map<YamlNode, YamlNode> {
  const anchors = new Map<string, YamlNode>();
  const targets = new Map<YamlNode, YamlNode>();
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (target !== undefined) targets.set(node, target);
      } else if (node.anchor) {
        anchors.set(node.anchor, node);
      }
    },
  });
  return targets;
}

/** "Map keys must be unique at line 2, column 1:\n\n…" → "map keys must be unique". */
function cleanMessage(message: string): string {
  const first = message.split("\n")[0] ?? message;
  const bare = first.replace(/ at line \d+, column \d+:?\s*$/, "").trim();
  return bare.charAt(0).toLowerCase() + bare.slice(1);
}

function convert(
  node: YamlNode,
  walk: Walk,
  depth: number,
  viaAlias: boolean,
  at?: Pos,
): YNode {
  const pos = at ?? walk.posOf(node.range?.[0] ?? 0);
  if (depth > MAX_DEPTH || walk.bomb !== null) return emptyScalar(pos);
  if (viaAlias && --walk.aliasBudget < 0) {
    walk.bomb = pos;
    return emptyScalar(pos);
  }
  if (isAlias(node)) {
    const target = walk.targets.get(node);
    if (!target) return emptyScalar(pos);
    // A scalar alias reports errors where it is used; a collection keeps its own positions.
    const usePos = isScalar(target) ? pos : undefined;
    const result = convert(target, walk, depth + 1, true, usePos);
    if (walk.bomb !== null && !viaAlias) walk.bomb = pos;
    return result;
  }
  if (isScalar(node)) return scalarNode(node, pos);
  if (isSeq(node)) {
    const items = node.items.map((item) =>
      item === null ? emptyScalar(pos) : convert(item as YamlNode, walk, depth + 1, viaAlias)
    );
    return { kind: "seq", pos, items };
  }
  if (isMap(node)) {
    const entries: YEntry[] = [];
    const merged: YEntry[] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YamlNode | null;
      const keyPos = keyNode?.range ? walk.posOf(keyNode.range[0]) : pos;
      const key = keyNode && isScalar(keyNode) ? sourceOf(keyNode) : keyText(keyNode);
      const value = pair.value === null
        ? emptyScalar(keyPos)
        : convert(pair.value as YamlNode, walk, depth + 1, viaAlias);
      if (key === "<<" && keyNode && isScalar(keyNode) && keyNode.type === "PLAIN") {
        // YAML merge key: `<<: *defaults` or `<<: [*a, *b]`. Earlier sources win, and
        // keys written in this mapping win over all of them (YAML 1.1 merge semantics).
        const sources = value.kind === "seq" ? value.items : [value];
        if (sources.every((s) => s.kind === "map")) {
          for (const s of sources) {
            if (s.kind !== "map") continue;
            for (const e of s.entries) merged.push({ ...e, merged: true });
          }
          continue;
        }
      }
      entries.push({ key, keyPos, value, merged: false });
    }
    const written = new Set(entries.map((e) => e.key));
    const taken = new Set<string>();
    for (const e of merged) {
      if (written.has(e.key) || taken.has(e.key)) continue;
      taken.add(e.key);
      entries.push(e);
    }
    return { kind: "map", pos, entries };
  }
  return { kind: "scalar", pos, value: String(node), source: String(node), quoted: false };
}

function scalarNode(node: YamlNode & { value: unknown; type?: string }, pos: Pos): YNode {
  const raw = node.value;
  const source = sourceOf(node);
  const quoted = node.type !== undefined && node.type !== "PLAIN";
  let value: string | number | boolean | null;
  if (raw === null || typeof raw === "string" || typeof raw === "boolean") value = raw;
  else if (typeof raw === "number") value = raw;
  else if (typeof raw === "bigint") value = Number(raw);
  else value = source; // tagged oddities (!!binary …): keep the text
  return { kind: "scalar", pos, value, source, quoted };
}

function sourceOf(node: YamlNode): string {
  const s = (node as { source?: unknown }).source;
  if (typeof s === "string") return s;
  const v = (node as { value?: unknown }).value;
  return v === null || v === undefined ? "" : String(v);
}

function keyText(node: YamlNode | null): string {
  return node === null ? "" : String(node);
}

function emptyScalar(pos: Pos): YNode {
  return { kind: "scalar", pos, value: null, source: "", quoted: false };
}
