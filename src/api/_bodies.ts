/**
 * The control API's request bodies as zod schemas. Imported by `_http.ts`
 * on the first request that has a body: an idle daemon never loads zod.
 *
 * @module
 */

import { z } from "zod";

const NAMES_MESSAGE = 'field "names" must be a non-empty array of process names (or ["all"])';
const NAMES = z.array(z.string().min(1), { error: NAMES_MESSAGE }).min(1, { error: NAMES_MESSAGE });

/** `"per_name": true`: unknown names (a bad signal) as results, not a 404 (400). */
const PER_NAME = z.boolean({ error: 'field "per_name" must be true or false' }).optional();

/** Every body, by the name the routes ask for. */
export const BODY_SCHEMAS = {
  /** `{"names": [...], "per_name": true}`: restart, clear. */
  names: z.strictObject({ names: NAMES, per_name: PER_NAME }),
  /** `{"names": [...], "no_deps": true, "per_name": true}`: start and stop. */
  depsNames: z.strictObject({
    names: NAMES,
    no_deps: z.boolean({ error: 'field "no_deps" must be true or false' }).optional(),
    per_name: PER_NAME,
  }),
  /** `{"signal": "HUP" | 1, "names": [...], "per_name": true}`. */
  signal: z.strictObject({
    signal: z.union([z.string().min(1), z.number().int().positive().transform(String)], {
      error: 'field "signal" must be a signal name ("HUP") or number',
    }),
    names: NAMES,
    per_name: PER_NAME,
  }),
  /** `POST /v1/alerts/test`. */
  alertTest: z.strictObject({
    channel: z.string({ error: 'field "channel" must be a channel name' }).min(1, {
      error: 'field "channel" must be a channel name',
    }),
  }),
};

/** The schemas' types, for `_http.ts` (a type import loads nothing). */
export type BodySchemas = typeof BODY_SCHEMAS;
