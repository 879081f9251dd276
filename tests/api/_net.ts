/**
 * Unix sockets need `--allow-net` on Deno 2.9.6 (the permission is checked
 * as `unix:PATH`). Socket tests are ignored, not failed, when it is missing,
 * so the pure handler tests still run under narrower flags.
 *
 * @module
 */

/** Whether this test run may listen on and connect to unix sockets. */
export const NET_GRANTED = (await Deno.permissions.query({ name: "net" })).state === "granted";
