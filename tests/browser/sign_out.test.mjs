// Signing out: straight away when everything is synced; with changes the relay does not have yet,
// a warning first, so notes typed offline are not thrown away by a tap.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { openBrowser, screenshot, seriousAxeProblems, SMALL_PHONE, TABLET } from "./browser.mjs";
import { DEMO, Relay } from "./relay.mjs";
import {
  addNote,
  appStatus,
  openPair,
  openSharedObservation,
  signIn,
  waitForTexts,
  waitUntilSavedNotSynced,
  waitUntilSynced,
} from "./screens.mjs";

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

for (const viewport of [SMALL_PHONE, TABLET]) {
  test(`signing out offline is explained and can be cancelled; locking hides the records and unlocks offline (${viewport.width} px)`, async () => {
    relay = await Relay.start({ demo: true });
    browser = await openBrowser(viewport);
    const { page } = browser;
    const problems = [];
    await signIn(page, relay.appUrl, DEMO.mentor);
    await openPair(page);
    await openSharedObservation(page);
    await waitUntilSynced(page);
    const record = page.getByRole("heading", { level: 1, name: /^Observation/ });
    await record.waitFor();

    // The lesson has no Wi-Fi: the relay is out of reach, everything is synced.
    await relay.stop();
    await page.waitForFunction(() => document.querySelector("p.sync-status")?.dataset.connected === "no");
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    const dialog = page.getByRole("alertdialog", { name: "Sign out while offline?" });
    await dialog.getByText(/sign in again only once it is back on the school network/).waitFor();
    await screenshot(page, "sign-out-offline", viewport.width, viewport.height);
    problems.push(...(await seriousAxeProblems(page, "sign-out dialog")));
    await dialog.getByRole("button", { name: "Stay signed in" }).click();
    await dialog.waitFor({ state: "detached" });
    await record.waitFor();

    // Lock instead: no record is on the screen, and a reload stays locked.
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await dialog.getByRole("button", { name: "Lock instead" }).click();
    await page.getByRole("heading", { level: 1, name: "Tandem is locked" }).waitFor();
    assert.equal(await record.count(), 0);
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Tandem is locked" }).waitFor();
    assert.equal(await page.getByText(DEMO.pairName).count(), 0, "no record or pair behind the lock");
    await screenshot(page, "locked", viewport.width, viewport.height);
    problems.push(...(await seriousAxeProblems(page, "lock screen")));

    // A wrong password is refused; the right one unlocks with no network.
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Unlock" }).click();
    await page.getByText("That is not the password this device was signed in with.").waitFor();
    await page.getByLabel("Password").fill(DEMO.password);
    await page.getByRole("button", { name: "Unlock" }).click();
    await record.waitFor();
    assert.equal(await appStatus(page).getAttribute("data-connected"), "no", "unlocked with no network");

    // Back at school, handing the tablet to another mentor: the lock screen's sign-out clears the
    // device (once everything is synced it asks nothing; the lock already hid the records).
    await relay.restart();
    await waitUntilSynced(page);
    await page.getByRole("button", { name: "Lock", exact: true }).click();
    await page.getByRole("button", { name: "Sign out and clear this device" }).click();
    await page.getByLabel("Email").waitFor();
    await page.reload();
    await page.getByLabel("Email").waitFor();
    assert.equal(await page.getByText(DEMO.pairName).count(), 0);
    assert.deepEqual(problems, [], problems.join("\n"));
  });
}
