// Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core,
// with a fresh profile per test (so IndexedDB, caches and service workers start empty), and a
// copy of the built web app a test may "deploy" a new version into.
//
// Every page opened here reports Content-Security-Policy violations as console errors
// (`reportCspViolations`), so a test that asserts its `errors` list is empty fails on one.

import { createRequire } from "node:module";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants as zlib } from "node:zlib";
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

/** The devices of DESIGN.md §1: the mentor's tablet (landscape) and the associate's phone. */
export const TABLET = { width: 1024, height: 768 };
export const PHONE = { width: 390, height: 844, isMobile: true, hasTouch: true };
/** The narrowest phone the app is laid out for. */
export const SMALL_PHONE = { width: 360, height: 800, isMobile: true, hasTouch: true };

/**
 * Makes every page of `context`, open now or later, report each Content-Security-Policy violation
 * as a console error naming the directive, what it blocked and where: a script Playwright runs
 * before the page's own (the page's policy does not govern it) listens for the document's
 * `securitypolicyviolation` events. Chromium's own "Refused to ..." line is a console error too,
 * but does not come for every kind of violation.
 */
export async function reportCspViolations(context) {
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const where = `${event.sourceFile || document.location.href}:${event.lineNumber}`;
      console.error(`CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI || "inline"} at ${where}`);
    });
  });
}

/**
 * A browser with its own profile, and every page's console errors collected in `errors`;
 * `locale` (e.g. "en-GB") sets the browser's language, else Chromium's default.
 * `relaunch()` closes the browser and starts it again on the same profile (what survives is what
 * the device stored); `close()` closes it and deletes the profile.
 */
export async function openBrowser({ width = 1024, height = 768, isMobile = false, hasTouch = false, locale } = {}) {
  const profile = await mkdtemp(join(tmpdir(), "tandem-chromium-"));
  const errors = [];
  const launch = async () => {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      headless: true,
      args: ARGS,
      viewport: { width, height },
      isMobile,
      hasTouch,
      // The browser's language (navigator.language, Intl's default, the date field's format).
      ...(locale ? { locale } : {}),
    });
    const watch = (page) => {
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(`console: ${message.text()}`);
      });
      page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
    };
    context.pages().forEach(watch);
    context.on("page", watch);
    await reportCspViolations(context);
    const page = context.pages()[0] ?? (await context.newPage());
    return { context, page };
  };
  const browser = {
    profile,
    errors,
    ...(await launch()),
    async relaunch() {
      await browser.context.close();
      Object.assign(browser, await launch());
      return browser;
    },
    async close() {
      await browser.context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
  return browser;
}

/** Waits until a service worker controls the page: from then on it opens with no network. */
export async function waitForServiceWorker(page) {
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout: 30_000 });
}

/**
 * A copy of the built web app (TANDEM_WEB_DIR) in a temporary directory, for a relay to serve
 * with `webDir` while the test deploys new versions into it. `dispose()` deletes it.
 */
export async function copyWebDir() {
  const source = process.env.TANDEM_WEB_DIR;
  if (!source) throw new Error("TANDEM_WEB_DIR is not set: run the browser tests with `cargo xtask test`");
  const path = await mkdtemp(join(tmpdir(), "tandem-web-"));
  await cp(source, path, { recursive: true });
  return { path, dispose: () => rm(path, { recursive: true, force: true }) };
}

/**
 * Deploys a "new version" into a copy of the web app: sw.js gets the cache name `cacheName` (as a
 * new build id would give it) and index.html gets `headMarkup` before `</head>`. Their brotli copies
 * are rewritten too, since the relay prefers them.
 */
export async function deploy(webDir, cacheName, headMarkup) {
  const rewrite = async (name, change) => {
    const text = change(await readFile(join(webDir, name), "utf8"));
    await writeFile(join(webDir, name), text);
    const br = brotliCompressSync(Buffer.from(text), { params: { [zlib.BROTLI_PARAM_QUALITY]: 5 } });
    await writeFile(join(webDir, `${name}.br`), br);
  };
  await rewrite("sw.js", (text) => {
    const changed = text.replace(/const CACHE = "[^"]*";/, `const CACHE = "${cacheName}";`);
    if (changed === text) throw new Error("sw.js has no `const CACHE = \"...\";` line to change");
    return changed;
  });
  await rewrite("index.html", (text) => text.replace("</head>", `${headMarkup}\n</head>`));
}

/** Saves a full-page screenshot at `width` pixels wide as screenshots/<name>-<width>.png. */
export async function screenshot(page, name, width, height = 800) {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.setViewportSize({ width, height });
  const path = join(SCREENSHOTS, `${name}-${width}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
let axeSource;

/** axe-core's serious and critical violations on the page, one line each, named `where`. */
export async function seriousAxeProblems(page, where) {
  const violations = await axeViolations(page);
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${where}: ${v.impact} ${v.id} (${v.help}): ${v.targets.join(", ")}`);
}

/**
 * axe-core's violations on the page (all of its default rules), with the elements concerned.
 * axe is evaluated through the DevTools protocol, which the page's policy does not govern: a
 * `<script>` element of it (Playwright's `addScriptTag`) would be an inline script it refuses.
 */
export async function axeViolations(page) {
  axeSource ??= await readFile(AXE, "utf8");
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const result = await window.axe.run(document);
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(" ")),
    }));
  });
}
