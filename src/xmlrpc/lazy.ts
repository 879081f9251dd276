/**
 * supervisord's XML-RPC interface, loaded on the first request for one of its
 * paths: most daemons never get one, and the XML parser with the interface
 * cost ~2.5 MB of memory when loaded at start (issue 17).
 *
 * @module
 */

import type { ControlApp } from "../api/handler.ts";
import type { supervisordCompat, SupervisordCompatDeps } from "./wire.ts";

/** The paths supervisord serves: /RPC2, /logtail/NAME…, /mainlogtail. */
export function isSupervisordPath(pathname: string): boolean {
  return pathname === "/RPC2" || pathname.startsWith("/RPC2/") ||
    pathname.startsWith("/logtail/") || pathname === "/mainlogtail";
}

/** Like {@link supervisordCompat}'s app factory, with the module imported on first use. */
export function lazySupervisordCompat(
  deps: SupervisordCompatDeps,
): { app: (signal: AbortSignal) => ControlApp } {
  let compat: Promise<ReturnType<typeof supervisordCompat>> | null = null;
  const load = () => compat ??= import("./wire.ts").then((m) => m.supervisordCompat(deps));
  return {
    app: (signal) => {
      let app: Promise<ControlApp> | null = null;
      return {
        fetch: async (request) =>
          (await (app ??= load().then((c) => c.app(signal)))).fetch(request),
      };
    },
  };
}
