// The mentor on a tablet and the associate on a phone both edit the same observation and the same
// goal while neither can reach the school; when both are back, both have both sets of edits.

import { afterEach, test } from "node:test";

import { Relay } from "./relay.mjs";
import {
  ACTIVE_GOAL,
  addNote,
  appStatus,
  go,
  goalArticle,
  openSharedObservation,
  pairOnTwoDevices,
  typeAtEnd,
  waitForState,
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

test("mentor and associate edit the same observation and goal offline, and both keep both sets of edits", async () => {
  relay = await Relay.start({ demo: true });
  let mentor, associate, pairHash, goalsHash;
  ({ tablet, phone, mentor, associate, pairHash, goalsHash } = await pairOnTwoDevices(relay));

  // Both open the pair's shared observation while the school network is there.
  await Promise.all([go(mentor, pairHash), go(associate, pairHash)]);
  const [mentorDoc, associateDoc] = await Promise.all([openSharedObservation(mentor), openSharedObservation(associate)]);
  if (mentorDoc !== associateDoc) throw new Error(`not the same observation: ${mentorDoc} and ${associateDoc}`);
  await Promise.all([waitUntilSynced(mentor), waitUntilSynced(associate)]);

  // Nobody reaches the relay: it is gone, and so is the network.
  await relay.stop();
  await Promise.all([tablet.context.setOffline(true), phone.context.setOffline(true)]);

  const note = "Offline note: pairs talk before hands go up.";
  const answer = " Offline answer: count to three silently.";
  const reflection = " Offline reflection: the pause felt long but worked.";
  const specific = " Offline specific: use a visible timer.";
  const checkIn = "Offline check-in: two transitions under a minute.";

  // The observation, at the same time on both devices.
  await Promise.all([
    (async () => {
      await addNote(mentor, note);
      await waitUntilSavedNotSynced(mentor);
    })(),
    (async () => {
      await typeAtEnd(associate.getByLabel("Your answer").first(), answer);
      await typeAtEnd(associate.getByLabel("Your reflection"), reflection);
      await waitUntilSavedNotSynced(associate);
    })(),
  ]);

  // The same goal, at the same time on both devices.
  await Promise.all([go(mentor, goalsHash), go(associate, goalsHash)]);
  await Promise.all([
    (async () => {
      const goal = await goalArticle(mentor, ACTIVE_GOAL);
      await typeAtEnd(goal.getByLabel("Specific"), specific);
      await waitUntilSavedNotSynced(mentor);
    })(),
    (async () => {
      const goal = await goalArticle(associate, ACTIVE_GOAL);
      await goal.getByLabel("Progress (%)").fill("70");
      await goal.getByLabel("Check-in note").fill(checkIn);
      await goal.getByRole("button", { name: "Add check-in" }).click();
      await waitUntilSavedNotSynced(associate);
    })(),
  ]);
  // Still nothing synced anywhere.
  await Promise.all([waitForState(appStatus(mentor), "saved"), waitForState(appStatus(associate), "saved")]);

  // Back at school.
  await relay.restart();
  await Promise.all([tablet.context.setOffline(false), phone.context.setOffline(false)]);
  await Promise.all([waitUntilSynced(mentor), waitUntilSynced(associate)]);

  // Both devices end with both people's edits, and say so.
  for (const page of [mentor, associate]) {
    await waitForTexts(page, [specific.trim(), checkIn]);
    await go(page, mentorDoc);
    await waitForTexts(page, [note, answer.trim(), reflection.trim()]);
    await waitUntilSynced(page);
  }
});
