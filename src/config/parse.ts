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

import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Document, Node as YamlNode } from "yaml";

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
 * Parses YAML text. Never throws: syntax errors are returned with line and column.
 * Duplicate keys are kept (the validator reports them with program and key context).
 */
export function parseYaml(text: string): ParsedYaml {
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
    // The library reports problems through doc.errors; a throw here would be its bug, but
    // a config file must still never crash the daemon.
    return { root: null, errors: [{ message: String(err), pos: null }] };
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
  return { root: convert(doc.contents, doc, posOf, 0), errors: [] };
}

/** "Map keys must be unique at line 2, column 1:\n\n…" → "map keys must be unique". */
function cleanMessage(message: string): string {
  const first = message.split("\n")[0] ?? message;
  const bare = first.replace(/ at line \d+, column \d+:?\s*$/, "").trim();
  return bare.charAt(0).toLowerCase() + bare.slice(1);
}

function convert(
  node: YamlNode,
  doc: Document.Parsed,
  posOf: (offset: number) => Pos,
  depth: number,
  at?: Pos,
): YNode {
  const pos = at ?? posOf(node.range?.[0] ?? 0);
  if (depth > MAX_DEPTH) return { kind: "scalar", pos, value: null, source: "", quoted: false };
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (!target) return { kind: "scalar", pos, value: null, source: "", quoted: false };
    // A scalar alias reports errors where it is used; a collection keeps its own positions.
    const usePos = isScalar(target) ? pos : undefined;
    return convert(target, doc, posOf, depth + 1, usePos);
  }
  if (isScalar(node)) return scalarNode(node, pos);
  if (isSeq(node)) {
    const items = node.items.map((item) =>
      item === null ? emptyScalar(pos) : convert(item as YamlNode, doc, posOf, depth + 1)
    );
    return { kind: "seq", pos, items };
  }
  if (isMap(node)) {
    const entries: YEntry[] = [];
    const merged: YEntry[] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YamlNode | null;
      const keyPos = keyNode?.range ? posOf(keyNode.range[0]) : pos;
      const key = keyNode && isScalar(keyNode) ? sourceOf(keyNode) : keyText(keyNode);
      const value = pair.value === null
        ? emptyScalar(keyPos)
        : convert(pair.value as YamlNode, doc, posOf, depth + 1);
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
