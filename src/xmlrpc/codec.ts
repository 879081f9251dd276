/**
 * XML-RPC on the wire, as supervisord 4.2.5 speaks it: calls are decoded
 * with fast-xml-parser; answers are written here, in the exact layout of
 * Python's `xmlrpclib.dumps` (what supervisorctl and every supervisord
 * client have always parsed). Never `<nil/>`; integers capped to 32 bits;
 * characters XML 1.0 forbids (ANSI escapes in logs) replaced, so a client
 * never receives a document it cannot parse (supervisord's bug #85).
 *
 * @module
 */

import { XMLParser, XMLValidator } from "fast-xml-parser";

/** A value that travels in XML-RPC. */
export type RpcValue =
  | string
  | number
  | boolean
  | RpcValue[]
  | { readonly [key: string]: RpcValue };

/** A decoded `<methodCall>`. */
export interface RpcCall {
  readonly method: string;
  readonly params: RpcValue[];
}

/** The request body is not a well-formed XML-RPC call (HTTP 400, as supervisord). */
export class MalformedCall extends Error {}

const MAXINT = 2 ** 31 - 1;
const MININT = -(2 ** 31);

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

type Node = Record<string, unknown>;

function tagOf(node: Node): string {
  return Object.keys(node).find((k) => k !== ":@") ?? "";
}

function elements(children: unknown): Node[] {
  return (Array.isArray(children) ? children as Node[] : []).filter((n) => !("#text" in n));
}

function textOf(children: unknown): string {
  return (Array.isArray(children) ? children as Node[] : [])
    .map((n) => ("#text" in n ? String(n["#text"]) : ""))
    .join("");
}

function child(node: Node, tag: string): Node | undefined {
  return elements(node[tagOf(node)]).find((n) => tagOf(n) === tag);
}

/** Parses a `<methodCall>` body. */
export function decodeCall(xml: string): RpcCall {
  // The parser is lenient (an unclosed tag is accepted); a client deserves a 400.
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new MalformedCall(`invalid XML: ${valid.err.msg}`);
  let doc: Node[];
  try {
    doc = parser.parse(xml) as Node[];
  } catch (error) {
    throw new MalformedCall(`unparsable XML: ${(error as Error).message}`);
  }
  const call = elements(doc).find((n) => tagOf(n) === "methodCall");
  if (call === undefined) throw new MalformedCall("no <methodCall> element");
  const nameNode = child(call, "methodName");
  const method = nameNode === undefined ? "" : textOf(nameNode.methodName).trim();
  const paramsNode = child(call, "params");
  const params = paramsNode === undefined ? [] : elements(paramsNode.params)
    .filter((p) => tagOf(p) === "param")
    .map((p) => {
      const value = child(p, "value");
      if (value === undefined) throw new MalformedCall("<param> without <value>");
      return decodeValue(value);
    });
  return { method, params };
}

function decodeValue(value: Node): RpcValue {
  const typed = elements(value.value)[0];
  // <value>text</value> without a type element is a string.
  if (typed === undefined) return textOf(value.value);
  const tag = tagOf(typed);
  const body = typed[tag];
  switch (tag) {
    case "string":
      return textOf(body);
    case "int":
    case "i4":
    case "i8": {
      const n = Number(textOf(body).trim());
      if (!Number.isInteger(n)) throw new MalformedCall(`bad <${tag}>`);
      return n;
    }
    case "double":
      return Number(textOf(body).trim());
    case "boolean":
      return textOf(body).trim() === "1";
    case "base64":
      return new TextDecoder().decode(
        Uint8Array.from(atob(textOf(body).replace(/\s/g, "")), (c) => c.charCodeAt(0)),
      );
    case "dateTime.iso8601":
      return textOf(body).trim();
    case "array": {
      const data = elements(body).find((n) => tagOf(n) === "data");
      return data === undefined
        ? []
        : elements(data.data).filter((n) => tagOf(n) === "value").map(decodeValue);
    }
    case "struct": {
      const out: Record<string, RpcValue> = {};
      for (const member of elements(body).filter((n) => tagOf(n) === "member")) {
        const name = child(member, "name");
        const v = child(member, "value");
        if (name === undefined || v === undefined) throw new MalformedCall("bad <member>");
        out[textOf(name.name)] = decodeValue(v);
      }
      return out;
    }
    case "nil":
      return "";
    default:
      throw new MalformedCall(`unknown value type <${tag}>`);
  }
}

/** `<methodResponse>` carrying one value, laid out as xmlrpclib does. */
export function encodeResponse(value: RpcValue): string {
  return `<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n${
    encodeValue(value)
  }</param>\n</params>\n</methodResponse>\n`;
}

/** `<methodResponse>` carrying a fault. */
export function encodeFault(code: number, text: string): string {
  return `<?xml version='1.0'?>\n<methodResponse>\n<fault>\n${
    encodeValue({ faultCode: code, faultString: text })
  }</fault>\n</methodResponse>\n`;
}

/** One `<value>` element, newline-terminated as xmlrpclib writes it. */
export function encodeValue(value: RpcValue): string {
  if (typeof value === "string") return `<value><string>${escapeText(value)}</string></value>\n`;
  if (typeof value === "boolean") return `<value><boolean>${value ? 1 : 0}</boolean></value>\n`;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) return `<value><double>${value}</double></value>\n`;
    return `<value><int>${Math.min(MAXINT, Math.max(MININT, value))}</int></value>\n`;
  }
  if (Array.isArray(value)) {
    return `<value><array><data>\n${value.map(encodeValue).join("")}</data></array></value>\n`;
  }
  const members = Object.entries(value).map(([k, v]) =>
    `<member>\n<name>${escapeText(k)}</name>\n${encodeValue(v)}</member>\n`
  );
  return `<value><struct>\n${members.join("")}</struct></value>\n`;
}

// Everything outside XML 1.0's Char production, lone surrogates included.
// deno-lint-ignore no-control-regex -- matching control characters is the point
const INVALID_XML = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes &, <, > and replaces characters XML 1.0 cannot carry with U+FFFD. */
export function escapeText(s: string): string {
  return s.replace(INVALID_XML, "\uFFFD").replaceAll("&", "&amp;").replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;");
}
