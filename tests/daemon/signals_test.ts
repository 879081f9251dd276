/**
 * The daemon's signal listeners hold what arrives before the daemon is up
 * and hand it over when it attaches: a SIGTERM during start-up becomes a
 * shutdown before anything launches, instead of Deno's default death.
 */
import assert from "node:assert/strict";
import { listenForSignals, type SignalHandlers } from "../../src/daemon/signals.ts";

/** Listeners installed through a fake `listen`, and a way to deliver a signal to them. */
function installed() {
  const table = new Map<Deno.Signal, () => void>();
  const signals = listenForSignals((signal, handler) => table.set(signal, handler));
  const send = (signal: Deno.Signal) => table.get(signal)!();
  return { table, signals, send };
}

/** Handlers that record what they were asked to do, in order. */
function recorder(): { handlers: SignalHandlers; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    handlers: {
      reload: () => calls.push("reload"),
      shutdown: (name, held) => calls.push(`shutdown ${name}${held ? " (held)" : ""}`),
      reopen: () => calls.push("reopen"),
    },
  };
}

Deno.test("every signal the daemon answers gets a listener at once", () => {
  const { table } = installed();
  assert.deepEqual([...table.keys()].sort(), [
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGTERM",
    "SIGUSR2",
  ]);
});

Deno.test("a SIGTERM before attach becomes a shutdown on attach, named after the first signal", () => {
  const { signals, send } = installed();
  send("SIGTERM");
  send("SIGINT");
  send("SIGHUP");
  send("SIGUSR2");
  const { handlers, calls } = recorder();
  signals.attach(handlers);
  assert.deepEqual(
    calls,
    ["shutdown SIGTERM (held)"],
    "a held reload or reopen is moot once stopping",
  );
});

Deno.test("a held reload and reopen run once each on attach; nothing held, nothing runs", () => {
  const quiet = installed();
  const none = recorder();
  quiet.signals.attach(none.handlers);
  assert.deepEqual(none.calls, []);

  const { signals, send } = installed();
  send("SIGHUP");
  send("SIGHUP");
  send("SIGUSR2");
  const { handlers, calls } = recorder();
  signals.attach(handlers);
  assert.deepEqual(calls, ["reopen", "reload"]);
});

Deno.test("after attach every signal goes straight to the handlers", () => {
  const { signals, send } = installed();
  const { handlers, calls } = recorder();
  signals.attach(handlers);
  send("SIGHUP");
  send("SIGUSR2");
  send("SIGQUIT");
  send("SIGTERM");
  assert.deepEqual(calls, ["reload", "reopen", "shutdown SIGQUIT", "shutdown SIGTERM"]);
});
