// A mentor starts an observation in a classroom with no network, takes notes, and shares it with a
// strengths-first warning; the associate's phone gets the shared copy once the mentor's tablet is
// back on the school network, and nothing of the mentor's private draft.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { openBrowser, PHONE, screenshot, TABLET } from "./browser.mjs";
import { DEMO, Relay } from "./relay.mjs";
import { addNote, docStatus, openPair, signIn, waitForState, waitForTexts, waitUntilSynced } from "./screens.mjs";

let relay;
let tablet;
let phone;

afterEach(async () => {
  await tablet?.close();
  await phone?.close();
  await relay?.dispose();
  tablet = phone = relay = undefined;
});

test("an observation started and shared offline reaches the associate as a shared copy", async () => {
  relay = await Relay.start({ demo: true });
  [tablet, phone] = await Promise.all([openBrowser(TABLET), openBrowser(PHONE)]);
  const mentor = tablet.page;
  const associate = phone.page;
  await Promise.all([signIn(mentor, relay.appUrl, DEMO.mentor), signIn(associate, relay.appUrl, DEMO.associate)]);
  await Promise.all([openPair(mentor), openPair(associate)]);
  await waitUntilSynced(mentor);
  const before = await associate.getByRole("link", { name: / · .* · / }).count();

  // In the classroom: no network.
  await tablet.context.setOffline(true);
  await mentor.getByRole("button", { name: "New observation" }).click();
  await mentor.waitForFunction(() => /^#\/doc\/[^/]+$/.test(location.hash));
  const draftHash = await mentor.evaluate(() => location.hash);
  const note = "Exit tickets sorted into three piles before the bell.";
  await addNote(mentor, note);
  await mentor.getByLabel("Subject").fill("Mathematics");
  await mentor.getByLabel("Subject").blur();

  // Sharing without strengths warns first (strengths first), and shares when confirmed.
  await mentor.getByRole("button", { name: `Share with ${DEMO.associate.name}` }).click();
  const dialog = mentor.getByRole("dialog");
  await dialog.getByText(/open with a strength/i).first().waitFor();
  await dialog.getByRole("button", { name: "Share now" }).click();
  await mentor.waitForFunction((draft) => /^#\/doc\/[^/]+$/.test(location.hash) && location.hash !== draft, draftHash);
  const sharedHash = await mentor.evaluate(() => location.hash);
  await waitForTexts(mentor, [note]);
  await waitForState(docStatus(mentor), "saved");
  const pending = mentor.getByText(`${DEMO.associate.name} gets it once this device reaches the school network`);
  await pending.waitFor();
  await screenshot(mentor, "shared-offline-pending", 1024);

  // Back at school: the shared copy syncs, and its claim for the pair is made; the notice goes as
  // soon as the relay has recorded the claim, not at the next refresh (every 30 s).
  const back = Date.now();
  await tablet.context.setOffline(false);
  await pending.waitFor({ state: "detached", timeout: 10_000 });
  console.log(`"Shared on this device" went ${Date.now() - back} ms after the network came back`);
  await waitUntilSynced(mentor, { timeout: 60_000 });

  // The associate opens the app later: the shared observation is there, the draft is not.
  await associate.reload();
  await associate.getByRole("heading", { level: 2, name: "Observations" }).waitFor();
  const link = associate.getByRole("link", { name: /Mathematics · shared/ });
  await link.waitFor({ timeout: 30_000 });
  assert.equal(await associate.getByRole("link", { name: / · .* · / }).count(), before + 1);
  await link.click();
  await associate.waitForFunction((hash) => location.hash === hash, sharedHash);
  await waitForTexts(associate, [note]);
  await associate.getByLabel("Your reflection").waitFor();

  // The mentor's list shows the shared copy once, not the draft beside it.
  await mentor.getByRole("link", { name: DEMO.pairName }).first().click();
  await mentor.getByRole("link", { name: /Mathematics · shared/ }).waitFor();
  assert.equal(await mentor.getByRole("link", { name: /Mathematics · draft/ }).count(), 0);
});
