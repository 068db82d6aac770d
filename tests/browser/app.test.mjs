// The web app in a real browser against the real relay: it loads, keeps what is typed across a
// reload, and opens with the saved text when both the network and the relay are gone.

import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { afterEach, beforeEach, test } from "node:test";

import { openBrowser, screenshot, waitForServiceWorker, waitUntilSavedAfterTyping } from "./browser.mjs";
import { Relay } from "./relay.mjs";

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

let relay;
let browser;

beforeEach(async () => {
  relay = await Relay.start();
  browser = await openBrowser();
});

afterEach(async () => {
  await browser?.close();
  await relay?.dispose();
});

test("the page loads and shows the app with no console errors", async () => {
  const { page, errors } = browser;
  await page.goto(relay.url);
  await page.getByRole("heading", { name: "Notes" }).waitFor();
  await page.getByLabel("Your note").waitFor();
  await page.locator('.status[data-status="saved"]').waitFor();
  assert.equal(await page.getByRole("status").innerText(), "Saved on this device");
  assert.equal(await page.locator("html").getAttribute("lang"), "en");
  assert.equal(await page.title(), "Tandem");
  await waitForServiceWorker(page);
  for (const width of [360, 1024]) {
    await screenshot(page, "empty", width);
    assert.deepEqual(await accessibilityViolations(page), [], `axe-core at ${width} px`);
  }
  assert.deepEqual(errors, []);
});

test("the service worker leaves sync, API and health requests to the network", async () => {
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

test("text typed survives a reload", async () => {
  const { page, errors } = browser;
  await page.goto(relay.url);
  const note = page.getByLabel("Your note");
  await note.click();
  await note.pressSequentially("Glow: every student knew the objective.");
  await waitUntilSavedAfterTyping(page);
  // An edit in the middle is a splice, not a rewrite; it must survive too.
  await note.press("Home");
  await note.pressSequentially("9:05 ");
  await waitUntilSavedAfterTyping(page);

  await page.reload();
  await page.locator('.status[data-status="saved"]').waitFor();
  assert.equal(await page.getByLabel("Your note").inputValue(), "9:05 Glow: every student knew the objective.");
  assert.deepEqual(errors, []);
});

test("with the relay stopped and the browser offline, a reload opens the app with the saved text", async () => {
  const { context, page } = browser;
  await page.goto(relay.url);
  await waitForServiceWorker(page);
  const note = page.getByLabel("Your note");
  await note.click();
  await note.pressSequentially("Grow: wait three seconds after asking a question.");
  await waitUntilSavedAfterTyping(page);

  await relay.stop();
  await context.setOffline(true);
  await page.reload();
  await page.locator('.status[data-status="saved"]').waitFor();
  assert.equal(await page.getByLabel("Your note").inputValue(), "Grow: wait three seconds after asking a question.");
  for (const width of [360, 1024]) await screenshot(page, "offline-with-text", width);

  // Typing offline is saved on the device too, and is there when the relay is back.
  await page.getByLabel("Your note").press("End");
  await page.getByLabel("Your note").pressSequentially(" Tried it: more hands went up.");
  await waitUntilSavedAfterTyping(page);
  await relay.restart();
  await context.setOffline(false);
  await page.reload();
  await page.locator('.status[data-status="saved"]').waitFor();
  assert.equal(
    await page.getByLabel("Your note").inputValue(),
    "Grow: wait three seconds after asking a question. Tried it: more hands went up.",
  );
});

/** axe-core's WCAG 2.x A and AA violations on the page, as "rule: target" strings. */
async function accessibilityViolations(page) {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
  return violations;
}
