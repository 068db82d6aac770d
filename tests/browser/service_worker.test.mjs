// The service worker: it takes control on the first visit without a reload, leaves sync, API and
// health requests to the network, and a later version waits for the person to choose "Update now"
// rather than swapping the code under them.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { copyWebDir, deploy, openBrowser, screenshot, waitForServiceWorker } from "./browser.mjs";
import { Relay } from "./relay.mjs";

const UPDATE_TEXT = "A new version of Tandem is ready.";

let relay;
let browser;
let webDir;

afterEach(async () => {
  await browser?.close();
  await relay?.dispose();
  await webDir?.dispose();
  browser = relay = webDir = undefined;
});

/** The names of this origin's Tandem caches (one per build). */
const shellCaches = (page) => page.evaluate(async () => (await caches.keys()).filter((n) => n.startsWith("tandem-shell-")));

test("the first visit is controlled by the service worker without a reload or an update prompt", async () => {
  relay = await Relay.start();
  browser = await openBrowser();
  const { page } = browser;
  await page.goto(relay.url);
  // Marks this document: a reload would make a new one without the mark.
  await page.evaluate(() => (window.__firstDocument = true));
  await waitForServiceWorker(page);
  assert.equal(await page.evaluate(() => window.__firstDocument), true, "the page reloaded when the worker took control");
  assert.equal((await shellCaches(page)).length, 1);
  assert.equal(await page.getByText(UPDATE_TEXT).count(), 0);
  assert.equal(await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.waiting)), null);
});

test("the service worker leaves sync, API and health requests to the network", async () => {
  relay = await Relay.start();
  browser = await openBrowser();
  const { page } = browser;
  await page.goto(relay.url);
  await waitForServiceWorker(page);
  for (const path of ["/healthz", "/api/anything", "/sync"]) {
    const [response] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === path),
      page.evaluate((p) => fetch(p).then((r) => r.status), path),
    ]);
    assert.equal(response.fromServiceWorker(), false, `${path} was answered by the service worker`);
  }
  // The shell itself does come from the service worker's cache.
  const [shell] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === "/app.css"),
    page.evaluate(() => fetch("/app.css").then((r) => r.status)),
  ]);
  assert.equal(shell.fromServiceWorker(), true);
});

test("a new version waits until the person chooses Update now, then the page reloads under it once", async () => {
  webDir = await copyWebDir();
  relay = await Relay.start({ webDir: webDir.path });
  browser = await openBrowser();
  const { page, errors } = browser;
  await page.goto(relay.url);
  await waitForServiceWorker(page);
  const [oldCache] = await shellCaches(page);
  assert.match(oldCache, /^tandem-shell-/);

  // A deploy: a new build id in the worker, and a marker in the page to tell the builds apart.
  // The relay reads its web directory on every request, so it serves the new files at once.
  await deploy(webDir.path, "tandem-shell-test-next", '<meta name="tandem-test-build" content="next">');
  await page.evaluate(() => (window.__oldDocument = true));
  await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update()));

  const prompt = page.getByRole("status").filter({ hasText: UPDATE_TEXT });
  await prompt.waitFor();
  // Waiting: the old worker still controls this page, and the page was not reloaded.
  const waiting = await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    return { waiting: registration.waiting?.state ?? null, old: window.__oldDocument === true };
  });
  assert.deepEqual(waiting, { waiting: "installed", old: true });
  assert.equal(await page.locator('meta[name="tandem-test-build"]').count(), 0);
  assert.deepEqual((await shellCaches(page)).sort(), [oldCache, "tandem-shell-test-next"].sort());
  for (const width of [360, 1024]) await screenshot(page, "update-prompt", width);

  await Promise.all([page.waitForEvent("load"), prompt.getByRole("button", { name: "Update now" }).click()]);
  await page.locator('meta[name="tandem-test-build"][content="next"]').waitFor({ state: "attached" });
  await waitForServiceWorker(page);
  const after = await page.evaluate(() => ({
    old: window.__oldDocument === true,
    navigation: performance.getEntriesByType("navigation")[0].type,
  }));
  assert.deepEqual(after, { old: false, navigation: "reload" });
  // The new worker serves the new build and has removed the old build's cache.
  assert.deepEqual(await shellCaches(page), ["tandem-shell-test-next"]);
  assert.equal(await page.getByText(UPDATE_TEXT).count(), 0);
  assert.deepEqual(errors.filter((e) => /service ?worker|sw\.js/i.test(e)), []);
});
