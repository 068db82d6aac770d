// What the device alone keeps: the app and every document open with no network and no relay; a
// tab closed straight after typing loses nothing; two tabs editing one observation lose nothing.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { openBrowser, TABLET, waitForServiceWorker } from "./browser.mjs";
import { DEMO, Relay } from "./relay.mjs";
import {
  ACTIVE_GOAL,
  addNote,
  go,
  goalArticle,
  observationLinks,
  openPair,
  openSharedObservation,
  signIn,
  typeAtEnd,
  waitForTexts,
  waitUntilSavedNotSynced,
  waitUntilSynced,
} from "./screens.mjs";

// Text in the demo's documents (tandem-core's sample): the shared observation, and this
// morning's draft (the mentor's only).
const DEMO_NOTE = "Learning goal on the board and read aloud";
const DRAFT_NOTE = "Kits already on desks; countdown on the board.";

let relay;
let browser;

afterEach(async () => {
  await browser?.close();
  await relay?.dispose();
  browser = relay = undefined;
});

test("with the relay stopped and the network off, a reload opens the app signed in with its documents", async () => {
  relay = await Relay.start({ demo: true });
  browser = await openBrowser(TABLET);
  const { context, page } = browser;
  await signIn(page, relay.appUrl, DEMO.mentor);
  await waitForServiceWorker(page);
  // This morning, at school: the mentor looked at the pair, its shared observation and its goals.
  const pairHash = await openPair(page);
  const docHash = await openSharedObservation(page);
  await waitUntilSynced(page);
  await go(page, `${pairHash}/goals`);
  await goalArticle(page, ACTIVE_GOAL);
  await waitUntilSynced(page);

  await relay.stop();
  await context.setOffline(true);
  await page.reload();
  await goalArticle(page, ACTIVE_GOAL);
  assert.equal(await page.getByLabel("Password").count(), 0, "asked to sign in again with no network");
  await go(page, "#/");
  await page.getByRole("heading", { level: 1, name: "My pairs" }).waitFor();
  await openPair(page);
  assert.equal(await openSharedObservation(page), docHash);
  await waitForTexts(page, [DEMO_NOTE], { timeout: 15_000 });

  // A second tab opened offline, straight onto a document, opens it too.
  const tab = await context.newPage();
  await tab.goto(new URL(`${pairHash}/goals`, relay.appUrl).href);
  await goalArticle(tab, ACTIVE_GOAL);
});

test("after sign-in has synced, documents never opened on this device open with no network", async () => {
  relay = await Relay.start({ demo: true });
  browser = await openBrowser(TABLET);
  const { context, page } = browser;
  await signIn(page, relay.appUrl, DEMO.mentor);
  await waitForServiceWorker(page);
  await openPair(page);
  // Assumes "synced" covers what the pair index lists, not only what this device wrote.
  await waitUntilSynced(page);

  await relay.stop();
  await context.setOffline(true);
  await page.reload();
  await observationLinks(page).filter({ hasText: /draft/i }).first().click();
  await waitForTexts(page, [DRAFT_NOTE], { timeout: 15_000 });
  await page.goBack();
  await page.getByRole("link", { name: "Goals" }).click();
  await goalArticle(page, ACTIVE_GOAL);
});

test("a tab closed straight after typing loses nothing", async () => {
  relay = await Relay.start({ demo: true });
  browser = await openBrowser(TABLET);
  const { context, page } = browser;
  await signIn(page, relay.appUrl, DEMO.mentor);
  await waitForServiceWorker(page);
  await openPair(page);
  const docHash = await openSharedObservation(page);
  await waitUntilSynced(page);
  // Without the relay, what survives can only be what this device stored.
  await relay.stop();

  const typed = "Closed the tab mid-thought: exit ticket showed three misconceptions.";
  const tab = await context.newPage();
  await tab.goto(new URL(docHash, relay.appUrl).href);
  await addNote(tab, typed);
  // No wait for "Saved": a tablet's tab closed in a hurry. Closed as a person closes it, which
  // lets the page see `pagehide` (what Page.close does; without it Chromium drops the page).
  await tab.close({ runBeforeUnload: true });
  if (!tab.isClosed()) await tab.waitForEvent("close");

  const reopened = await context.newPage();
  await reopened.goto(new URL(docHash, relay.appUrl).href);
  await waitForTexts(reopened, [typed], { timeout: 15_000 });

  // And after the whole browser is closed and opened again.
  await browser.relaunch();
  await browser.page.goto(new URL(docHash, relay.appUrl).href);
  await waitForTexts(browser.page, [typed], { timeout: 15_000 });
});

test("two tabs editing the same observation at once lose nothing", async () => {
  relay = await Relay.start({ demo: true });
  browser = await openBrowser(TABLET);
  const { context, page: first } = browser;
  await signIn(first, relay.appUrl, DEMO.mentor);
  await openPair(first);
  const docHash = await openSharedObservation(first);
  await waitUntilSynced(first);
  const second = await context.newPage();
  await second.goto(new URL(docHash, relay.appUrl).href);
  await second.getByLabel("Opening strength").waitFor();
  // No relay to merge through: the two tabs share only the device.
  await relay.stop();

  const opening = " Two tabs: the opening strength grew here.";
  const closing = " Two tabs: and the closing strength here.";
  const noteOne = "Tab one: a note.";
  const noteTwo = "Tab two: another note.";
  await Promise.all([
    (async () => {
      await typeAtEnd(first.getByLabel("Opening strength"), opening);
      await addNote(first, noteOne);
      await waitUntilSavedNotSynced(first);
    })(),
    (async () => {
      await typeAtEnd(second.getByLabel("Closing strength"), closing);
      await addNote(second, noteTwo);
      await waitUntilSavedNotSynced(second);
    })(),
  ]);

  const everything = [opening.trim(), closing.trim(), noteOne, noteTwo];
  await Promise.all([first.reload(), second.reload()]);
  await Promise.all([waitForTexts(first, everything, { timeout: 15_000 }), waitForTexts(second, everything, { timeout: 15_000 })]);
});
