// Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core,
// with a fresh profile per test (so IndexedDB, caches and service workers start empty).

import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), "screenshots");

/**
 * A browser with its own profile, and the page's console errors collected in `errors`.
 * Call `close()` when done.
 */
export async function openBrowser({ width = 1024, height = 768 } = {}) {
  const profile = await mkdtemp(join(tmpdir(), "tandem-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ARGS,
    viewport: { width, height },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Waits until a service worker controls the page: from then on it opens with no network. */
export async function waitForServiceWorker(page) {
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout: 30_000 });
}

/** Waits until the app shows that what was typed is stored: first "saving", then "saved". */
export async function waitUntilSavedAfterTyping(page) {
  await page.locator('.status[data-status="saving"]').waitFor();
  await page.locator('.status[data-status="saved"]').waitFor();
}

/** Saves a full-page screenshot at `width` pixels wide as screenshots/<name>-<width>.png. */
export async function screenshot(page, name, width, height = 800) {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.setViewportSize({ width, height });
  const path = join(SCREENSHOTS, `${name}-${width}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
