/**
 * User accounts from the passwd database, for the `user:` option.
 *
 * @module
 */

import type { Account } from "./types.ts";

/**
 * Parses passwd(5) text (`name:x:uid:gid:gecos:home:shell` per line) into accounts by name.
 * Comments, blank and malformed lines are skipped; the first entry of a name wins, as in getpwnam.
 */
export function parsePasswd(text: string): Map<string, Account> {
  const accounts = new Map<string, Account>();
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const f = line.split(":");
    if (f.length < 7) continue;
    const [name = "", , uid = "", gid = "", , home = "", shell = ""] = f;
    if (name === "" || !/^\d+$/.test(uid) || !/^\d+$/.test(gid)) continue;
    if (accounts.has(name)) continue;
    accounts.set(name, { name, uid: Number(uid), gid: Number(gid), home, shell: shell.trim() });
  }
  return accounts;
}

/**
 * A lookup over parsed accounts: by name, or by uid when given digits (`user: 65534`).
 */
export function accountLookup(
  accounts: ReadonlyMap<string, Account>,
): (name: string) => Account | undefined {
  return (name) => {
    const byName = accounts.get(name);
    if (byName !== undefined || !/^\d+$/.test(name)) return byName;
    const uid = Number(name);
    for (const a of accounts.values()) if (a.uid === uid) return a;
    return undefined;
  };
}

/**
 * The default lookup: reads `/etc/passwd` on first use (only configs with `user:` pay for it).
 * An unreadable file means no user is known, which the validator reports per program.
 */
export function systemAccountLookup(
  passwdPath = "/etc/passwd",
): (name: string) => Account | undefined {
  let lookup: ((name: string) => Account | undefined) | undefined;
  return (name) => {
    if (lookup === undefined) {
      let text = "";
      try {
        text = Deno.readTextFileSync(passwdPath);
      } catch {
        // Treated as an empty database: every `user:` then fails with "unknown user".
      }
      lookup = accountLookup(parsePasswd(text));
    }
    return lookup(name);
  };
}
