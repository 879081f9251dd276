/**
 * Orchestration figures (issue 12), taskmaster only (supervisord has no
 * dependencies or probes to compare with):
 *
 * - dependency latency: in a chain p0 <- p1 <- … <- pN, the time from the
 *   event-log line that meets a link's condition (`success: pK entered
 *   RUNNING`, or `ready: pK` for `healthy`) to `spawned: 'pK+1'`, median and
 *   p90 over the links (target: median < 20 ms);
 * - probe CPU: the daemon's CPU % over a window with 200 programs each probed
 *   every second (tcp against one listener here, and exec `true`), against the
 *   same 200 programs without probes measured in the same run.
 *
 * ```
 * deno run --allow-all bench/orchestration.ts [--links N] [--programs N] [--window S]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { median, print, progress, quantile } from "./_common.ts";
import { cpuSeconds, sleep } from "./_proc.ts";
import { taskmasterArgv } from "./_taskmaster.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    links: { type: "string", default: "30" },
    programs: { type: "string", default: "200" },
    window: { type: "string", default: "20" },
  },
});
const LINKS = Number(values.links);
const PROGRAMS = Number(values.programs);
const WINDOW_S = Number(values.window);

/** A daemon on `programsYaml` in a temp dir; resolves once its socket answers. */
async function launch(programsYaml: string) {
  const dir = await Deno.makeTempDir({ prefix: "tm-bench-orch-" });
  await Deno.writeTextFile(
    `${dir}/tm.yaml`,
    `taskmaster:\n  socket: ${dir}/tm.sock\n  logfile: ${dir}/tm.log\n  logdir: ${dir}/logs\n` +
      `  pidfile: ${dir}/tm.pid\nprograms:\n${programsYaml}`,
  );
  const [cmd, ...args] = taskmasterArgv(["-c", `${dir}/tm.yaml`, "--no-shell"]);
  const child = new Deno.Command(cmd!, { args, stdout: "null", stderr: "null", cwd: dir })
    .spawn();
  return {
    dir,
    pid: child.pid,
    log: () => Deno.readTextFile(`${dir}/tm.log`).catch(() => ""),
    async close() {
      child.kill("SIGTERM");
      await child.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Epoch ms of the first event-log line matching `re`, or null. */
function stampOf(log: string, re: RegExp): number | null {
  for (const line of log.split("\n")) {
    if (re.test(line)) return Date.parse(line.slice(0, line.indexOf(" ")));
  }
  return null;
}

/** Restarts of the peer (same spawn path, no dependency gate) measured alongside the chain. */
const PEER_RESTARTS = 10;

async function chainLatency(
  healthy: boolean,
): Promise<{ chain: number[]; gate: number[]; peer: number[] }> {
  const programs: string[] = [
    `  peer: { cmd: "/bin/sh -c 'sleep 1.05; exit 1'", starttime: 0.05, autorestart: always, stdout: null, stderr: null }`,
  ];
  for (let i = 0; i <= LINKS; i++) {
    const readiness = healthy ? `, readiness: { log_line: "^up$", period: 0.05 }` : "";
    const deps = i === 0 ? "" : `, depends_on: { p${i - 1}: ${healthy ? "healthy" : "running"} }`;
    programs.push(
      `  p${i}: { cmd: "/bin/sh -c 'echo up; exec sleep 1000.${
        4000 + i
      }'", starttime: 0.05, stdout: null, stderr: null${readiness}${deps} }`,
    );
  }
  const daemon = await launch(programs.join("\n") + "\n");
  try {
    const last = new RegExp(`spawned: 'p${LINKS}'`);
    const deadline = Date.now() + 120_000;
    let log = "";
    const done = (text: string) =>
      last.test(text) && (text.match(/spawned: 'peer'/g) ?? []).length > PEER_RESTARTS;
    while (!done(log = await daemon.log())) {
      if (Date.now() > deadline) throw new Error("the chain did not finish starting");
      await sleep(100);
    }
    const latencies: number[] = [];
    // The gate alone: the met line -> `dependencies met: pK` (logged just before the spawn call).
    const gate: number[] = [];
    for (let i = 1; i <= LINKS; i++) {
      const met = healthy
        ? stampOf(log, new RegExp(`ready: p${i - 1} `))
        : stampOf(log, new RegExp(`success: p${i - 1} entered RUNNING`));
      const spawned = stampOf(log, new RegExp(`spawned: 'p${i}'`));
      if (met !== null && spawned !== null) latencies.push(spawned - met);
      const released = stampOf(log, new RegExp(`dependencies met: p${i}$`));
      if (met !== null && released !== null) gate.push(released - met);
    }
    // The peer: `exited: peer` -> the next `spawned: 'peer'` (an immediate autorestart).
    const peer: number[] = [];
    let exitedAt: number | null = null;
    for (const line of log.split("\n")) {
      const at = Date.parse(line.slice(0, line.indexOf(" ")));
      if (/exited: peer /.test(line)) exitedAt = at;
      else if (/spawned: 'peer'/.test(line) && exitedAt !== null) {
        peer.push(at - exitedAt);
        exitedAt = null;
      }
    }
    return { chain: latencies, gate, peer };
  } finally {
    await daemon.close();
  }
}

async function probeCpu(check: "none" | "tcp" | "exec", port: number): Promise<number> {
  const probe = check === "none"
    ? ""
    : check === "tcp"
    ? `, liveness: { tcp: "127.0.0.1:${port}", period: 1 }`
    : `, liveness: { exec: "true", period: 1 }`;
  const programs = Array.from(
    { length: PROGRAMS },
    (_, i) =>
      `  s${i}: { cmd: "sleep 1000.${
        5000 + i
      }", starttime: 0.1, stdout: null, stderr: null${probe} }`,
  );
  const daemon = await launch(programs.join("\n") + "\n");
  try {
    // Let every program start (on a loaded machine 200 spawns take seconds),
    // then the first probes settle.
    const deadline = Date.now() + 120_000;
    while (((await daemon.log()).match(/ entered RUNNING state/g) ?? []).length < PROGRAMS) {
      if (Date.now() > deadline) throw new Error("the programs did not all start");
      await sleep(200);
    }
    await sleep(3000);
    const before = cpuSeconds(daemon.pid);
    const began = performance.now();
    await sleep(WINDOW_S * 1000);
    const after = cpuSeconds(daemon.pid);
    const elapsed = (performance.now() - began) / 1000;
    if (before === null || after === null) throw new Error("the daemon is gone");
    return ((after - before) / elapsed) * 100;
  } finally {
    await daemon.close();
  }
}

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = (listener.addr as Deno.NetAddr).port;
const accepting = (async () => {
  for await (const conn of listener) conn.close();
})();

const load = await Deno.readTextFile("/proc/loadavg").catch(() => "?");
print(`# orchestration bench, ${new Date().toISOString()}, loadavg ${load.trim()}`);
for (const healthy of [false, true]) {
  progress(`chain of ${LINKS} links, condition ${healthy ? "healthy" : "running"}`);
  const { chain: ms, gate, peer } = await chainLatency(healthy);
  print(
    `dependency met -> dependent spawned (${healthy ? "healthy, log_line" : "running"}): ` +
      `median ${median(ms).toFixed(1)} ms, p90 ${quantile(ms, 0.9).toFixed(1)} ms, ` +
      `max ${Math.max(...ms)} ms over ${ms.length} links (of which the gate, met -> spawn call: ` +
      `median ${median(gate).toFixed(1)} ms); peer (exit -> autorestart spawned, ` +
      `same daemon): median ${median(peer).toFixed(1)} ms over ${peer.length}; ratio ${
        (median(ms) / median(peer)).toFixed(2)
      }`,
  );
}
const cpu: Record<string, number> = {};
for (const check of ["none", "tcp", "exec"] as const) {
  progress(`${PROGRAMS} programs, probe ${check}, ${WINDOW_S} s window`);
  cpu[check] = await probeCpu(check, port);
  print(
    `daemon CPU with ${PROGRAMS} programs, probe ${check} every 1 s: ${cpu[check]!.toFixed(1)} %`,
  );
}
print(
  `probe cost over the no-probe run: tcp +${(cpu.tcp! - cpu.none!).toFixed(1)} points, ` +
    `exec +${(cpu.exec! - cpu.none!).toFixed(1)} points`,
);
listener.close();
await accepting.catch(() => {});
