// Signing out: straight away when everything is synced; with changes the relay does not have yet,
// a warning first, so notes typed offline are not thrown away by a tap.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { openBrowser, TABLET } from "./browser.mjs";
import { DEMO, Relay } from "./relay.mjs";
import { addNote, openPair, openSharedObservation, signIn, waitForTexts, waitUntilSavedNotSynced, waitUntilSynced } from "./screens.mjs";

let relay;
let browser;

afterEach(async () => {
  await browser?.close();
  await relay?.dispose();
  browser = relay = undefined;
});

test("signing out with unsynced changes warns first; with everything synced it does not", async () => {
  relay = await Relay.start({ demo: true });
  browser = await openBrowser(TABLET);
  const { page } = browser;
  const signOut = () => page.getByRole("button", { name: "Sign out" }).click();
  const warning = page.getByRole("alertdialog");

  // Everything synced: no warning.
  await signIn(page, relay.appUrl, DEMO.mentor);
  await waitUntilSynced(page);
  await signOut();
  await page.getByLabel("Email").waitFor();
  assert.equal(await warning.count(), 0);

  // A note the relay has not got.
  await signIn(page, relay.appUrl, DEMO.mentor);
  await openPair(page);
  await openSharedObservation(page);
  await waitUntilSynced(page);
  await relay.stop();
  const typed = "Typed offline, not synced yet.";
  await addNote(page, typed);
  await waitUntilSavedNotSynced(page);

  await signOut();
  await warning.waitFor();
  await warning.getByRole("button", { name: "Stay signed in" }).click();
  await warning.waitFor({ state: "detached" });
  await waitForTexts(page, [typed], { timeout: 5_000 });
  assert.equal(await page.getByLabel("Password").count(), 0);

  await signOut();
  await warning.getByRole("button", { name: "Sign out anyway" }).click();
  await page.getByLabel("Email").waitFor();
  await page.getByLabel("Password").waitFor();
});
