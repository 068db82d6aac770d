// Mentor and associate end the same goal differently while both are offline. Back online, neither
// ending wins silently: both devices show "needs agreement" with who said what, and once one of
// them agrees, both see the goal ended that way and nothing left to agree on.

import { afterEach, test } from "node:test";

import { screenshot } from "./browser.mjs";
import { DEMO, Relay } from "./relay.mjs";
import {
  ACTIVE_GOAL,
  go,
  goalArticle,
  pairOnTwoDevices,
  waitForTexts,
  waitUntilSavedNotSynced,
  waitUntilSynced,
} from "./screens.mjs";

let relay;
let tablet;
let phone;

afterEach(async () => {
  await tablet?.close();
  await phone?.close();
  await relay?.dispose();
  tablet = phone = relay = undefined;
});

test("a goal ended two ways offline needs agreement on both devices until one person agrees", async () => {
  relay = await Relay.start({ demo: true });
  let mentor, associate, pairHash, goalsHash;
  ({ tablet, phone, mentor, associate, pairHash, goalsHash } = await pairOnTwoDevices(relay));
  const agreementHash = `${pairHash}/agreement`;

  await relay.stop();
  await Promise.all([tablet.context.setOffline(true), phone.context.setOffline(true)]);

  // The mentor says it is achieved; the associate drops it, with a reason.
  const reason = "We agreed to work on questioning first.";
  await (await goalArticle(mentor, ACTIVE_GOAL)).getByRole("button", { name: "Mark achieved" }).click();
  const goal = await goalArticle(associate, ACTIVE_GOAL);
  await goal.getByRole("button", { name: "Drop…" }).click();
  await associate.getByLabel("Reason for dropping").fill(reason);
  await associate.getByRole("button", { name: "Drop goal" }).click();
  await Promise.all([waitUntilSavedNotSynced(mentor), waitUntilSavedNotSynced(associate)]);

  await relay.restart();
  await Promise.all([tablet.context.setOffline(false), phone.context.setOffline(false)]);
  await Promise.all([waitUntilSynced(mentor), waitUntilSynced(associate)]);

  // Both devices show the disagreement, naming who said what.
  for (const page of [mentor, associate]) {
    await go(page, pairHash);
    await page.getByRole("link", { name: "Needs agreement (1)" }).waitFor({ timeout: 30_000 });
    await go(page, agreementHash);
    await waitForTexts(page, [`${DEMO.mentor.name} said achieved`, `${DEMO.associate.name} said dropped`]);
  }
  await screenshot(mentor, "needs-agreement-conflict", 1024);
  await screenshot(associate, "needs-agreement-conflict", 360);

  // The associate agrees with the mentor; the conflict is gone on both devices.
  await associate.getByRole("button", { name: "Agree on achieved" }).click();
  await associate.getByText("Nothing needs agreement.").waitFor();
  await waitUntilSynced(associate);
  await mentor.getByText("Nothing needs agreement.").waitFor({ timeout: 30_000 });
  for (const page of [mentor, associate]) {
    await go(page, goalsHash);
    await page.getByRole("heading", { name: ACTIVE_GOAL }).waitFor();
    await waitForTexts(page, ["Achieved"]);
  }
});
