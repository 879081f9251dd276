/**
 * Who owns the file at a socket path. Anyone who can write to the socket's
 * directory (`/tmp`) can create that name first; a daemon that bound or
 * removed it, or a client that talked to it, would hand its control API (or
 * its commands) to that user. Both sides check the owner first.
 *
 * @module
 */

import { systemAccountLookup } from "../config/accounts.ts";

/** The owner of `path` when it is neither us nor (with `allowRoot`) root; null otherwise or when absent. */
export function foreignOwner(
  path: string,
  options: { allowRoot: boolean },
): { uid: number; name: string } | null {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch {
    return null;
  }
  const uid = info.uid;
  if (uid === null || uid === Deno.uid() || (options.allowRoot && uid === 0)) return null;
  return { uid, name: ownerName(uid) };
}

/** `nobody (uid 65534)`, or `uid 1234` for an account not in passwd. */
export function describeOwner(owner: { uid: number; name: string }): string {
  return owner.name === "" ? `uid ${owner.uid}` : `user ${owner.name} (uid ${owner.uid})`;
}

function ownerName(uid: number): string {
  const account = systemAccountLookup()(String(uid));
  return account?.uid === uid ? account.name : "";
}
