/**
 * What keeps the TCP listener safe to expose: HTTP Basic auth against a
 * SHA-256 of the password (compared in constant time, and a wrong guess
 * answered only after a delay), a CSRF token on every state-changing request
 * a browser sends, cross-origin requests refused, and strict headers
 * (Content-Security-Policy and friends) on every response.
 *
 * @module
 */

import { createHash, timingSafeEqual } from "node:crypto";

/** No inline script or style, nothing from elsewhere, no framing. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers every response of the TCP listener carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

/** The header the dashboard sends its CSRF token in. */
export const CSRF_HEADER = "x-csrf-token";

/** Credentials to check; the password only as its SHA-256 (hex). */
export interface Credentials {
  readonly username: string;
  readonly passwordSha256: string;
}

/** The outcome of {@link checkBasicAuth}. */
export type AuthResult = "ok" | "missing" | "wrong";

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** Checks an `Authorization: Basic …` header, in constant time for a given length. */
export function checkBasicAuth(header: string | null, expected: Credentials): AuthResult {
  if (header === null || !/^basic\s+/i.test(header)) return "missing";
  let decoded: string;
  try {
    decoded = new TextDecoder().decode(
      Uint8Array.from(atob(header.replace(/^basic\s+/i, "").trim()), (c) => c.charCodeAt(0)),
    );
  } catch {
    return "wrong";
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return "wrong";
  // Compare digests: equal lengths, so timingSafeEqual never throws or leaks a length.
  const userOk = timingSafeEqual(digest(decoded.slice(0, colon)), digest(expected.username));
  const passOk = timingSafeEqual(
    digest(decoded.slice(colon + 1)),
    Buffer.from(expected.passwordSha256, "hex"),
  );
  return userOk && passOk ? "ok" : "wrong";
}

/** Whether two tokens are equal, in constant time. */
export function sameToken(given: string | null, token: string): boolean {
  if (given === null) return false;
  return timingSafeEqual(digest(given), digest(token));
}

/** A fresh random CSRF token (one per daemon run). */
export function newCsrfToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Why a request must be refused as cross-site, or null. A browser tells
 * where a request comes from (`Origin`, `Sec-Fetch-Site`); a request from
 * another origin never reaches a handler. Requests without those headers come
 * from scripts (curl, Prometheus) and are judged by their credentials alone.
 */
export function crossOriginRefusal(request: Request): string | null {
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    return `cross-origin request refused (Sec-Fetch-Site: ${site})`;
  }
  const origin = request.headers.get("origin");
  if (origin !== null) {
    const url = new URL(request.url);
    const host = request.headers.get("host") ?? url.host;
    if (origin !== `${url.protocol}//${host}`) {
      return `cross-origin request refused (Origin: ${origin})`;
    }
  }
  return null;
}

/** Whether a browser sent this request (it then must carry the CSRF token to change state). */
export function fromBrowser(request: Request): boolean {
  const h = request.headers;
  return h.has("origin") || h.has("sec-fetch-site") || h.has("sec-fetch-mode") ||
    h.has("referer") || h.has("cookie");
}

/** Why a state-changing request lacks a valid CSRF token, or null when it may go on. */
export function csrfRefusal(request: Request, token: string): string | null {
  if (SAFE_METHODS.has(request.method)) return null;
  if (!fromBrowser(request)) return null;
  if (sameToken(request.headers.get(CSRF_HEADER), token)) return null;
  return `missing or wrong CSRF token (send the page's token in the ${CSRF_HEADER} header)`;
}
