/**
 * Headless Chromium for the dashboard tests, driven over the DevTools
 * protocol by puppeteer-core (no browser download: Debian's `chromium`,
 * installed by .ci/run). A missing browser fails the test, never skips it.
 */
import puppeteer, { type Browser } from "puppeteer-core";

/** Where Chromium is: $CHROMIUM_PATH or Debian's. */
export const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

/** A fresh headless Chromium with its own profile, closed (and the profile removed) on dispose. */
export async function launchBrowser(): Promise<Browser & AsyncDisposable> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install Debian's "chromium" (.ci/run does) or set CHROMIUM_PATH`,
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "tm-chromium-" });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // A loaded CI machine may need long for a first Chromium start.
    timeout: 120_000,
    protocolTimeout: 180_000,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
    ],
  });
  return Object.assign(browser, {
    [Symbol.asyncDispose]: async () => {
      await browser.close().catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  });
}
