/**
 * `taskmaster.http`: the optional TCP listener (dashboard, /v1, /metrics).
 * The password is never kept: only its SHA-256 is, whether it came from the
 * environment (`password: "${VAR}"`) or was written as `password_sha256`.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { IssueList } from "./issues.ts";
import type { YEntry, YNode } from "./parse.ts";
import { readOptions } from "./program.ts";
import type { HttpSettings } from "./types.ts";
import * as v from "./values.ts";

/** Keys allowed under `taskmaster.http:`. */
export const HTTP_KEYS = ["listen", "username", "password", "password_sha256", "tls"] as const;
const TLS_KEYS = ["cert", "key"] as const;
const PREFIX = "taskmaster.http.";
const ENV_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Whether `host` only reaches this machine. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `127.0.0.1:9001`, `[::1]:9001`, `localhost:0` → host and port; undefined when malformed. */
export function parseListen(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:\[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (match === null) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  return { host: match[1] ?? match[2]!, port };
}

/** SHA-256 of a password, hex. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Validates `taskmaster.http`; undefined (with issues filed) when invalid. */
export function validateHttp(
  entry: YEntry,
  baseDir: string,
  issues: IssueList,
  getEnv: (name: string) => string | undefined,
): HttpSettings | undefined {
  const before = issues.count;
  const node = entry.value;
  if (node.kind !== "map") {
    issues.add(
      node.pos,
      null,
      "taskmaster.http",
      `expected a mapping with "listen:" (and "username:", "password:"), got ${v.describe(node)}`,
    );
    return undefined;
  }
  const options = readOptions(node, HTTP_KEYS, issues, null, PREFIX);
  const report = (key: string, n: YNode) => issues.reporter(n, null, PREFIX + key);

  const listenEntry = options.get("listen");
  let listen: { host: string; port: number } | undefined;
  if (listenEntry === undefined) {
    issues.add(entry.keyPos, null, `${PREFIX}listen`, `missing required key "listen" (host:port)`);
  } else {
    const text = v.text(listenEntry.value, report("listen", listenEntry.value));
    if (text !== undefined) {
      listen = parseListen(text);
      if (listen === undefined) {
        report("listen", listenEntry.value)(
          `expected host:port such as "127.0.0.1:9001" or "[::1]:9001", got ${
            JSON.stringify(text)
          }`,
        );
      }
    }
  }

  const userEntry = options.get("username");
  const username = userEntry === undefined
    ? null
    : v.text(userEntry.value, report("username", userEntry.value)) ?? null;
  if (username !== null && username.includes(":")) {
    report("username", userEntry!.value)(`must not contain ":" (Basic auth splits on it)`);
  }

  const passwordEntry = options.get("password");
  const hashEntry = options.get("password_sha256");
  let passwordSha256: string | null = null;
  if (passwordEntry !== undefined && hashEntry !== undefined) {
    report("password_sha256", hashEntry.value)(
      `set either "password" or "password_sha256", not both`,
    );
  } else if (passwordEntry !== undefined) {
    passwordSha256 =
      passwordFromEnv(passwordEntry.value, report("password", passwordEntry.value), getEnv) ??
        null;
  } else if (hashEntry !== undefined) {
    const hex = v.text(hashEntry.value, report("password_sha256", hashEntry.value));
    if (hex !== undefined && !/^[0-9a-fA-F]{64}$/.test(hex)) {
      report("password_sha256", hashEntry.value)(
        "expected 64 hex digits (the output of: printf %s PASSWORD | sha256sum)",
      );
    } else if (hex !== undefined) passwordSha256 = hex.toLowerCase();
  }
  const hasPassword = passwordEntry !== undefined || hashEntry !== undefined;
  if (userEntry !== undefined && !hasPassword) {
    issues.add(
      userEntry.keyPos,
      null,
      `${PREFIX}username`,
      `a username needs "password" or "password_sha256"`,
    );
  }
  if (userEntry === undefined && hasPassword) {
    const at = (passwordEntry ?? hashEntry)!;
    issues.add(at.keyPos, null, `${PREFIX}username`, `a password needs a "username"`);
  }
  if (listen !== undefined && !isLoopback(listen.host) && !(userEntry && hasPassword)) {
    issues.add(
      listenEntry!.value.pos,
      null,
      `${PREFIX}listen`,
      `${listen.host} is not a loopback address: listening there needs "username" and "password" (or "password_sha256")`,
    );
  }

  let tls: HttpSettings["tls"] = null;
  const tlsEntry = options.get("tls");
  if (tlsEntry !== undefined) {
    const t = tlsEntry.value;
    if (t.kind !== "map") {
      issues.add(
        t.pos,
        null,
        `${PREFIX}tls`,
        `expected {cert: FILE, key: FILE}, got ${v.describe(t)}`,
      );
    } else {
      const tlsOptions = readOptions(t, TLS_KEYS, issues, null, `${PREFIX}tls.`);
      const file = (key: "cert" | "key") => {
        const e = tlsOptions.get(key);
        if (e === undefined) {
          issues.add(tlsEntry.keyPos, null, `${PREFIX}tls.${key}`, `missing required key "${key}"`);
          return undefined;
        }
        return v.path(e.value, issues.reporter(e.value, null, `${PREFIX}tls.${key}`), baseDir);
      };
      const cert = file("cert");
      const key = file("key");
      if (cert !== undefined && key !== undefined) tls = { cert, key };
    }
  }
  if (issues.count !== before || listen === undefined) return undefined;
  return {
    host: listen.host,
    port: listen.port,
    username,
    passwordSha256,
    tls,
  };
}

/** `"${VAR}"` → SHA-256 of the variable's value. A literal password is refused. */
function passwordFromEnv(
  node: YNode,
  report: v.Report,
  getEnv: (name: string) => string | undefined,
): string | undefined {
  const text = node.kind === "scalar" && typeof node.value === "string" ? node.value : undefined;
  const match = text === undefined ? null : ENV_REFERENCE.exec(text.trim());
  if (match === null) {
    // Never quote the value: it may be a real password written by mistake.
    report(
      `must name an environment variable, as "\${TASKMASTER_PASSWORD}" (a password is never written in the file; or use "password_sha256")`,
    );
    return undefined;
  }
  const name = match[1]!;
  const value = getEnv(name);
  if (value === undefined || value === "") {
    report(`environment variable ${name} is ${value === undefined ? "not set" : "empty"}`);
    return undefined;
  }
  return sha256Hex(value);
}
