/// <reference lib="dom" />
/**
 * The dashboard in a real browser (headless Chromium) against a real daemon.
 * Set TASKMASTER_SCREENSHOTS=DIR to save the main views (docs/screenshots).
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { TestDaemon } from "../_helpers/daemon.ts";
import { launchBrowser } from "../_helpers/browser.ts";
import { listenerUrl } from "../_helpers/web.ts";
import { waitFor } from "../_helpers/wait_for.ts";

const SCREENSHOTS = Deno.env.get("TASKMASTER_SCREENSHOTS");
const USER = "admin";
const PASSWORD = "dash-board-pw";

const CONFIG = `
taskmaster:
  http:
    listen: 127.0.0.1:0
    username: ${USER}
    password: "\${TM_BROWSER_PW}"
programs:
  web:
    cmd: sleep 1004.21
    numprocs: 3
    starttime: 0
  echoer:
    cmd: cat
    starttime: 0
  worker:
    cmd: sh -c 'while :; do i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 0.5; done'
    starttime: 0
  failing:
    cmd: sh -c 'echo "cannot open database" >&2; exit 3'
    startretries: 1
    starttime: 1
    autorestart: never
`;

async function shot(page: Page, name: string): Promise<void> {
  if (SCREENSHOTS === undefined) return;
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png` as `${string}.png` });
}

function rowState(page: Page, name: string): Promise<string | null> {
  return page.$eval(`tr[data-name="${name}"] .state`, (el) => el.textContent).catch(() => null);
}

function pidGone(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return false;
  } catch {
    return true;
  }
}

Deno.test("dashboard: live table, actions on real processes, live output, reload errors, shutdown", async () => {
  await using d = await TestDaemon.start(CONFIG, [], { TM_BROWSER_PW: PASSWORD });
  const base = await listenerUrl(d);
  await using browser = await launchBrowser();
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warn") problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e}`));
  page.on("requestfailed", (r) => {
    // Streams cut when the page goes away are not failures.
    if (!/ERR_ABORTED/.test(r.failure()?.errorText ?? "")) {
      problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
    }
  });
  await page.authenticate({ username: USER, password: PASSWORD });
  await page.setViewport({ width: 1280, height: 860 });
  await page.goto(`${base}/`, { waitUntil: "domcontentloaded" });

  // The page lists every instance of the real daemon, live.
  for (const name of ["web:0", "web:1", "web:2", "echoer", "worker", "failing"]) {
    await page.waitForSelector(`tr[data-name="${name}"]`, { timeout: 15_000 });
  }
  await waitFor(async () => (await rowState(page, "web:0")) === "RUNNING", "web:0 RUNNING");
  await waitFor(async () => (await rowState(page, "failing")) === "FATAL", "failing FATAL");
  // CPU and memory figures arrive with the samples.
  await waitFor(
    () => page.$eval('tr[data-name="web:0"] td.rss span', (el) => /iB/.test(el.textContent ?? "")),
    "web:0's memory figure",
  );
  await waitFor(
    () => page.$$eval('tr[data-name="worker"] svg.spark.cpu polyline', (els) => els.length === 1),
    { what: "the worker's CPU sparkline", timeout: 20_000 },
  );
  await shot(page, "dashboard");

  // Stopping a row stops the real process.
  const pid = (await d.info("web:1")).pid!;
  assert.equal(pidGone(pid), false);
  await page.click('button[aria-label="stop web:1"]');
  await waitFor(
    async () => (await rowState(page, "web:1")) === "STOPPED",
    "web:1 STOPPED in the page",
  );
  assert.equal((await d.info("web:1")).state, "STOPPED");
  await waitFor(() => pidGone(pid), `pid ${pid} gone from /proc`);

  // Keyboard: "/" focuses the filter; the table shows only what matches.
  await page.keyboard.press("/");
  await page.keyboard.type("web");
  await waitFor(
    () => page.$$eval("tbody tr", (rows) => rows.map((r) => r.getAttribute("data-name")).join()),
    "filtered rows",
  );
  assert.deepEqual(
    await page.$$eval("tbody tr", (rows) => rows.map((r) => r.getAttribute("data-name"))),
    ["web:0", "web:1", "web:2"],
  );
  await page.$eval('input[aria-label="Filter by name or state"]', (el) => {
    (el as HTMLInputElement).value = "";
    el.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // A line printed by a child shows up in the open log view.
  await page.click('tr[data-name="echoer"] button.link');
  await page.waitForSelector('pre[data-stream="stdout"]');
  await new Promise((r) => setTimeout(r, 500)); // let the follow stream open
  const marker = `marker-${crypto.randomUUID()}`;
  const sent = Date.now();
  await d.port.sendStdin("echoer", new TextEncoder().encode(`${marker}\n`));
  await page.waitForFunction(
    (m) => document.querySelector('pre[data-stream="stdout"]')?.textContent?.includes(m),
    { timeout: 10_000 },
    marker,
  );
  const latency = Date.now() - sent;
  // deno-lint-ignore no-console -- the measured latency is worth seeing in the test output
  console.log(`child line reached the open log view in ${latency} ms`);
  await shot(page, "output");

  // stderr of the failing program, with its config and events.
  await page.click('tr[data-name="failing"] button.link');
  await page.click('button[role="tab"]:nth-of-type(2)');
  await page.waitForFunction(
    () =>
      document.querySelector('pre[data-stream="stderr"]')?.textContent?.includes(
        "cannot open database",
      ),
    { timeout: 10_000 },
  );
  await page.click('button[role="tab"]:nth-of-type(4)');
  await page.waitForFunction(
    () => document.querySelector("pre.events")?.textContent?.includes("failing"),
    { timeout: 10_000 },
  );
  await page.keyboard.press("Escape");

  // A bad config: reload shows every error and changes nothing.
  const good = await Deno.readTextFile(d.config);
  await d.writeConfig(good.replace("numprocs: 3", "numprocs: three"));
  await page.click("header.top button:not(.danger)");
  await page.waitForSelector(".message.error", { timeout: 15_000 });
  const error = await page.$eval(".message.error", (el) => el.textContent ?? "");
  assert.match(error, /reload failed, nothing was changed/);
  assert.match(error, /key "numprocs": expected an integer >= 1, got "three"/);
  assert.equal((await d.info("web:0")).state, "RUNNING");
  await shot(page, "reload-error");
  await d.writeConfig(good);

  // The event log panel is live.
  await page.waitForFunction(
    () => document.querySelector(".events-panel pre")?.textContent?.includes("reload rejected"),
    { timeout: 10_000 },
  );

  // Phone width: still readable (no horizontal overflow of the page itself).
  await page.setViewport({ width: 390, height: 844, isMobile: true });
  await page.waitForSelector('tr[data-name="worker"]', { timeout: 15_000 });
  await page.waitForSelector(".live.on", { timeout: 15_000 });
  await shot(page, "phone");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
  assert.ok(overflow <= 1, `page wider than the phone by ${overflow}px`);
  await page.setViewport({ width: 1280, height: 860 });

  // Shutdown asks first; Cancel keeps everything.
  await page.click("header.top button.danger");
  await page.waitForSelector('.modal[role="dialog"]');
  await shot(page, "shutdown-confirm");
  await page.click(".modal button:not(.danger)");
  assert.equal(await page.$(".modal"), null);
  assert.equal((await d.info("web:0")).state, "RUNNING");
  await page.click("header.top button.danger");
  await page.click(".modal button.danger");
  await page.waitForFunction(
    () => document.querySelector(".message")?.textContent?.includes("has shut down"),
    { timeout: 30_000 },
  );
  // The daemon exits on its own, cleanly.
  assert.equal((await d.child.status).code, 0);

  // Chromium logs every HTTP error status as "Failed to load resource": the
  // refused reload's 422 is the expected answer, shown in the page. After the
  // shutdown the feed's reconnect attempts find nobody: also expected.
  const unexpected = problems.filter((p) =>
    !/status of 422/.test(p) && !/ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE/.test(p)
  );
  assert.deepEqual(unexpected, []);
});

Deno.test("dashboard: wrong credentials are refused", async () => {
  await using d = await TestDaemon.start(CONFIG, [], { TM_BROWSER_PW: PASSWORD });
  const base = await listenerUrl(d);
  await using browser = await launchBrowser();
  const page = await browser.newPage();
  await page.authenticate({ username: USER, password: "not-the-password" });
  const response = await page.goto(`${base}/`);
  assert.equal(response?.status(), 401);
  assert.equal(await page.$("table"), null, "no dashboard without the password");
});
