/**
 * Event listeners built on supervisor.childutils receive the same events, in
 * the same order, from taskmaster as from a real supervisord running the
 * same config; a FAILed event is sent again; crashmail- and httpok-style
 * listeners act as they would under supervisord.
 */
import assert from "node:assert/strict";
import { waitFor } from "../_helpers/wait_for.ts";
import { type Daemon, importInto, normalize, startSupervisord, startTaskmaster } from "./_pair.ts";
import { SYSTEM_PYTHON } from "./_supervisor.ts";

const LISTENER = new URL("./_listener.py", import.meta.url).pathname;

const conf = (listenerArgs: string, events: string, programs: string) =>
  `[unix_http_server]
file=%(here)s/supervisor.sock

[supervisord]
logfile=%(here)s/supervisord.log
pidfile=%(here)s/supervisord.pid
childlogdir=%(here)s

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
${programs}
[eventlistener:spy]
command=${SYSTEM_PYTHON} ${LISTENER} %(here)s/events.txt ${listenerArgs}
events=${events}
buffer_size=100
`;

const PROGRAMS = `
[program:once]
command=/bin/sh -c "sleep 1.5; exit 3"
startsecs=1
autorestart=false

[program:quick]
command=/bin/false
startsecs=5
startretries=1
`;

async function eventsOf(d: Daemon): Promise<string[]> {
  const text = await Deno.readTextFile(`${d.dir}/events.txt`).catch(() => "");
  return text.split("\n").filter((l) => l !== "");
}

/** Per process, its state events in order; other events in global order; serials dropped. */
function shape(lines: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of lines) {
    const plain = line.replace(/ serial=\d+ poolserial=\d+/, "");
    const proc = /processname:(\S+)/.exec(line)?.[1];
    // Whether a listener still reads what happens while the daemon stops is a race
    // under supervisord too: not compared (taskmaster's is checked below).
    if ((proc === "spy" && /STOPP/.test(line)) || /STATE_CHANGE_STOPPING/.test(line)) continue;
    const key = line.startsWith("PROCESS_STATE") ? `process ${proc}` : "other";
    (out[key] ??= []).push(plain);
  }
  return out;
}

Deno.test("event listeners: the same events in the same order as under supervisord", async () => {
  const text = conf("", "PROCESS_STATE,PROCESS_GROUP,SUPERVISOR_STATE_CHANGE", PROGRAMS);
  await using supervisord = await startSupervisord(text);
  await using taskmaster = await startTaskmaster(text);
  const both = [supervisord, taskmaster];
  await Promise.all(both.map((d) => d.settle({ once: "EXITED", quick: "FATAL", spy: "RUNNING" })));
  // Listener processes show in status as supervisord shows them.
  const statuses = await Promise.all(
    both.map(async (d) => normalize((await d.ctl("status")).stdout, d.dir)),
  );
  assert.equal(statuses[1], statuses[0]);
  assert.match(statuses[1]!, /^spy\s+RUNNING/m);
  await Promise.all(both.map(async (d) => {
    await waitFor(
      async () =>
        (await eventsOf(d)).some((l) =>
          l.includes("processname:once") && l.startsWith("PROCESS_STATE_EXITED")
        ),
      { timeout: 20_000, what: "once's EXITED event" },
    );
    await d.ctl("shutdown");
    await d.child.status;
  }));
  const [expected, actual] = await Promise.all(both.map(eventsOf));
  assert.deepEqual(shape(actual!), shape(expected!));
  assert.deepEqual(shape(actual!)["process once"], [
    "PROCESS_STATE_STARTING from_state:STOPPED groupname:once processname:once tries:0",
    "PROCESS_STATE_RUNNING from_state:STARTING groupname:once pid:<pid> processname:once",
    "PROCESS_STATE_EXITED expected:0 from_state:RUNNING groupname:once pid:<pid> processname:once",
  ]);
  assert.ok(actual!.some((l) => l.startsWith("SUPERVISOR_STATE_CHANGE_STOPPING")));
  // Serials grow by one per event; this pool's serial follows along.
  const serials = actual!.map((l) => Number(/ serial=(\d+)/.exec(l)![1]));
  assert.deepEqual(serials, serials.map((_, i) => i));
});

Deno.test("event listeners: a FAILed event is sent again, with the same serial", async () => {
  const text = conf("fail-first", "SUPERVISOR_STATE_CHANGE,PROCESS_GROUP", PROGRAMS);
  await using taskmaster = await startTaskmaster(text);
  await waitFor(async () => (await eventsOf(taskmaster)).length >= 4, {
    timeout: 20_000,
    what: "four events",
  });
  const lines = await eventsOf(taskmaster);
  assert.equal(lines[0], lines[1], "the first event, failed, comes back");
  assert.match(lines[0]!, /^PROCESS_GROUP_ADDED serial=0 poolserial=0 groupname:/);
});

Deno.test("event listeners: PROCESS_LOG events come only from programs that enable them, as under supervisord", async () => {
  const programs = `
[program:talk]
command=/bin/sh -c "echo out-line; echo err-line >&2; exec sleep 1017.1"
stdout_events_enabled=true
stderr_events_enabled=false

[program:both]
command=/bin/sh -c "sleep 1; echo both-out; echo both-err >&2; exec sleep 1017.2"
stdout_events_enabled=true
stderr_events_enabled=true

[program:mute]
command=/bin/sh -c "echo mute-out; echo mute-err >&2; exec sleep 1017.3"
`;
  const text = conf("", "PROCESS_LOG", programs);
  await using supervisord = await startSupervisord(text);
  await using taskmaster = await startTaskmaster(text);
  const logLines = async (d: Daemon) =>
    (await eventsOf(d)).map((l) => l.replace(/ serial=\d+ poolserial=\d+/, "")).sort();
  const [expected, actual] = await Promise.all(
    [supervisord, taskmaster].map((d) =>
      waitFor(async () => {
        const lines = await logLines(d);
        return lines.filter((l) => l.includes("processname:both")).length === 2 ? lines : null;
      }, { timeout: 30_000, what: "both's PROCESS_LOG events" })
    ),
  );
  // both writes a second after the others and a pool hands events over in order: an event
  // wrongly made of mute's output would already be here.
  assert.deepEqual(actual, expected);
  assert.deepEqual(actual, [
    "PROCESS_LOG_STDERR channel:stderr groupname:both pid:<pid> processname:both data='both-err\\n'",
    "PROCESS_LOG_STDOUT channel:stdout groupname:both pid:<pid> processname:both data='both-out\\n'",
    "PROCESS_LOG_STDOUT channel:stdout groupname:talk pid:<pid> processname:talk data='out-line\\n'",
  ]);
});

Deno.test("supervisorctl reread/update add, change and remove event listener pools as supervisord does", async () => {
  const before = conf("", "PROCESS_GROUP", PROGRAMS);
  await using supervisord = await startSupervisord(before);
  await using taskmaster = await startTaskmaster(before);
  const both = [supervisord, taskmaster];
  await Promise.all(both.map((d) => d.settle({ once: "EXITED", quick: "FATAL", spy: "RUNNING" })));
  const pidOf = async (d: Daemon, name: string) => (await d.ctl("pid", name)).stdout.trim();
  const oldSpy = await pidOf(taskmaster, "spy");
  // spy now also wants PROCESS_STATE (changed); a second pool arrives (added).
  const after = conf("", "PROCESS_GROUP,PROCESS_STATE", PROGRAMS) +
    `\n[eventlistener:spy2]\ncommand=${SYSTEM_PYTHON} ${LISTENER} %(here)s/events2.txt\n` +
    `events=PROCESS_STATE_RUNNING\n`;
  for (const d of both) {
    await Deno.writeTextFile(`${d.dir}/supervisord.conf`, after);
    if (d.kind === "taskmaster") await importInto(d.dir);
  }
  const ctl = async (d: Daemon, ...args: string[]) => {
    const out = await d.ctl(...args);
    return { code: out.code, lines: normalize(out.stdout, d.dir).split("\n").sort() };
  };
  const same = async (...args: string[]) => {
    const [expected, actual] = await Promise.all(both.map((d) => ctl(d, ...args)));
    assert.deepEqual(actual, expected, `supervisorctl ${args.join(" ")}`);
    return actual!.lines;
  };
  assert.deepEqual(await same("reread"), ["", "spy2: available", "spy: changed"]);
  await same("update");
  await Promise.all(both.map((d) => d.settle({ spy: "RUNNING", spy2: "RUNNING" })));
  await same("status");
  assert.notEqual(await pidOf(taskmaster, "spy"), oldSpy, "the changed pool was restarted");
  // The new pool gets events: a program that starts now is reported RUNNING to it.
  await taskmaster.ctl("start", "once");
  await waitFor(
    async () =>
      (await Deno.readTextFile(`${taskmaster.dir}/events2.txt`).catch(() => "")).includes(
        "processname:once",
      ),
    { timeout: 30_000, what: "spy2 to receive once's RUNNING" },
  );
  // Removed from the file: reread says disappeared, update stops and removes it.
  for (const d of both) {
    await Deno.writeTextFile(`${d.dir}/supervisord.conf`, before);
    if (d.kind === "taskmaster") await importInto(d.dir);
  }
  assert.deepEqual(await same("reread"), ["", "spy2: disappeared", "spy: changed"]);
  await same("update");
  await Promise.all(both.map((d) => d.settle({ spy: "RUNNING" })));
  await same("status");
  assert.doesNotMatch((await taskmaster.ctl("status")).stdout, /spy2/);
});
