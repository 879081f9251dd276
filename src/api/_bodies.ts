/**
 * The control API's request bodies as valibot schemas, and the one message
 * each fault in them reads as. Imported by `_http.ts` once the daemon has
 * started its programs (`warmBodyParsing`); valibot rather than zod because
 * it loads in ~15 ms and ~1 MB instead of ~60 ms and ~5 MB of an idle
 * daemon's memory (issue 17).
 *
 * @module
 */

import * as v from "valibot";

/** The message each field's faults read as, a missing field included, by the field's schema. */
const FIELD_MESSAGES = new WeakMap<object, string>();

/** `schema`, every fault of which reads as `message`. */
function field<const S extends v.GenericSchema>(schema: S, message: string): S {
  const checked = v.message(schema, message);
  FIELD_MESSAGES.set(checked, message);
  return checked;
}

const NAMES = field(
  v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1)),
  'field "names" must be a non-empty array of process names (or ["all"])',
);

/** `"per_name": true`: unknown names (a bad signal) as results, not a 404 (400). */
const PER_NAME = v.optional(field(v.boolean(), 'field "per_name" must be true or false'));

/**
 * An object that refuses unknown keys, so that a typo (`{"name": "web"}`)
 * fails loudly instead of acting on a default.
 */
function strictBody<const E extends v.ObjectEntries>(entries: E) {
  const expected = Object.keys(entries).join(", ");
  return v.strictObject(entries, (issue) => {
    const key = issue.path?.[0]?.key;
    if (key === undefined) return "request body must be a JSON object";
    if (issue.expected === "never") {
      return `unknown field "${String(key)}" in request body (expected ${expected})`;
    }
    const missing = entries[String(key)];
    return (missing && FIELD_MESSAGES.get(missing)) ?? `field "${String(key)}" is required`;
  });
}

/** Every body, by the name the routes ask for. */
const BODY_SCHEMAS = {
  /** `{"names": [...], "per_name": true}`: restart, clear. */
  names: strictBody({ names: NAMES, per_name: PER_NAME }),
  /** `{"names": [...], "no_deps": true, "per_name": true}`: start and stop. */
  depsNames: strictBody({
    names: NAMES,
    no_deps: v.optional(field(v.boolean(), 'field "no_deps" must be true or false')),
    per_name: PER_NAME,
  }),
  /** `{"signal": "HUP" | 1, "names": [...], "per_name": true}`. */
  signal: strictBody({
    signal: field(
      v.union([
        v.pipe(v.string(), v.minLength(1)),
        v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.transform(String)),
      ]),
      'field "signal" must be a signal name ("HUP") or number',
    ),
    names: NAMES,
    per_name: PER_NAME,
  }),
  /** `POST /v1/alerts/test`. */
  alertTest: strictBody({
    channel: field(v.pipe(v.string(), v.minLength(1)), 'field "channel" must be a channel name'),
  }),
};

type BodySchemas = typeof BODY_SCHEMAS;
/** The request bodies the routes read. */
export type BodyKind = keyof BodySchemas;
/** What each {@link BodyKind} parses to. */
export type Body<K extends BodyKind> = v.InferOutput<BodySchemas[K]>;

/** A JSON value checked as a body of `kind`: the value, or the first fault's message. */
export function parseBody<K extends BodyKind>(
  kind: K,
  value: unknown,
): { readonly body: Body<K> } | { readonly error: string } {
  const parsed = v.safeParse(BODY_SCHEMAS[kind], value, { abortEarly: true });
  return parsed.success ? { body: parsed.output as Body<K> } : { error: parsed.issues[0].message };
}

/** Parses one body of every kind, so that the first request's parse is not the slow one. */
export function warmParsers(): void {
  for (const kind of Object.keys(BODY_SCHEMAS) as BodyKind[]) parseBody(kind, { names: ["all"] });
}
