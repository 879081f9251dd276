/**
 * `deno task bench:dashboard`: what watching costs the daemon. 500 sleeping
 * instances; the daemon's own CPU time (from /proc) over a window with
 * nothing open (must stay 0: nothing is sampled), then with the dashboard
 * open in headless Chromium (one /proc sample a second, the live feed), then
 * with only a metrics scrape every 5 s.
 *
 * ```
 * deno run --allow-all bench/dashboard.ts [--n 500] [--seconds 30]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { cpuSeconds, sleep } from "./_proc.ts";
import { taskmasterArgv } from "./_taskmaster.ts";
import { launchBrowser } from "../tests/_helpers/browser.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { n: { type: "string", default: "500" }, seconds: { type: "string", default: "30" } },
});
const N = Number(values.n);
const SECONDS = Number(values.seconds);

function say(line: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`));
}

function loadAverage(): string {
  return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
}

/** The daemon's CPU seconds over `seconds` while `during` runs. */
async function window(pid: number, seconds: number, label: string): Promise<number> {
  const before = cpuSeconds(pid)!;
  const started = performance.now();
  await sleep(seconds * 1000);
  const used = cpuSeconds(pid)! - before;
  const wall = (performance.now() - started) / 1000;
  const percent = (used / wall) * 100;
  say(
    `${label.padEnd(42)} ${used.toFixed(2).padStart(6)} s CPU over ${wall.toFixed(1)} s = ${
      percent.toFixed(2)
    }% of one core   (load ${loadAverage()})`,
  );
  return percent;
}

const dir = await Deno.makeTempDir({ prefix: "tm_bench_dash_" });
const config = `${dir}/tm.yaml`;
await Deno.writeTextFile(
  config,
  [
    "taskmaster:",
    "  http: {listen: 127.0.0.1:0}",
    `  logdir: ${dir}/logs`,
    "programs:",
    `  app: {cmd: "sleep 100005.5", numprocs: ${N}, starttime: 0, stdout: null, stderr: null}`,
    "",
  ].join("\n"),
);
const [cmd, ...args] = taskmasterArgv(["-c", config, "--no-shell"]);
const daemon = new Deno.Command(cmd!, { args, cwd: dir, stdin: "null", stdout: "null" }).spawn();
try {
  const url = await waitForUrl(`${dir}/taskmaster.log`);
  await waitForRunning(url, N);
  say(`${N} instances RUNNING; daemon pid ${daemon.pid}; ${navigator.hardwareConcurrency} cores`);
  await sleep(5000); // let start-up settle
  const idle = await window(daemon.pid, SECONDS, "nothing open (idle)");

  await using browser = await launchBrowser();
  const page = await browser.newPage();
  await page.goto(`${url}/`);
  await page.waitForFunction((n) => document.querySelectorAll("tbody tr").length === n, {
    timeout: 60_000,
  }, N);
  await sleep(3000);
  const open = await window(daemon.pid, SECONDS, "dashboard open in Chromium");
  await page.close();
  await sleep(2000);
  const closed = await window(daemon.pid, SECONDS, "dashboard closed again");

  const scraping = (async () => {
    const end = Date.now() + SECONDS * 1000;
    while (Date.now() < end) {
      await (await fetch(`${url}/metrics`)).text();
      await sleep(5000);
    }
  })();
  const scrape = await window(daemon.pid, SECONDS, "a /metrics scrape every 5 s");
  await scraping;
  say("");
  say(
    `result: idle ${idle.toFixed(2)}%, dashboard open ${open.toFixed(2)}% (limit 5%), ` +
      `closed again ${closed.toFixed(2)}%, scraping ${scrape.toFixed(2)}%`,
  );
} finally {
  daemon.kill("SIGTERM");
  await daemon.status;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

async function waitForUrl(log: string): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const text = await Deno.readTextFile(log).catch(() => "");
    const match = /http: listening on (http:\/\/\S+?)[ ,]/.exec(text);
    if (match) return match[1]!;
    await sleep(100);
  }
  throw new Error("the daemon never logged its http address");
}

async function waitForRunning(url: string, n: number): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const list = await (await fetch(`${url}/v1/processes`)).json() as { state: string }[];
    if (list.filter((p) => p.state === "RUNNING").length === n) return;
    await sleep(250);
  }
  throw new Error(`not all ${n} instances reached RUNNING`);
}
