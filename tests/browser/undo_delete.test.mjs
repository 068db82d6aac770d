// Deleting is undoable: a note deleted by a slip comes back with Undo, and one deleted for a
// while comes back from the observation's history; either way it is back on the associate's
// phone after sync. A question the associate answered asks before it goes. At 360 and 1024 px,
// with axe-core clean and screenshots to look at.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { openBrowser, screenshot, seriousAxeProblems, SMALL_PHONE, TABLET } from "./browser.mjs";
import { DEMO, Relay } from "./relay.mjs";
import { addNote, go, openPair, openSharedObservation, signIn, waitForTexts, waitUntilSynced } from "./screens.mjs";

let relay;
let tablet;
let phone;

afterEach(async () => {
  await tablet?.close();
  await phone?.close();
  await relay?.dispose();
  tablet = phone = relay = undefined;
});

/** At 360 and 1024 px: a screenshot named `name`, and axe-core's serious or critical problems. */
async function lookAt(page, name) {
  const problems = [];
  for (const width of [360, 1024]) {
    await page.setViewportSize({ width, height: width < 600 ? 800 : 768 });
    await screenshot(page, name, width);
    problems.push(...(await seriousAxeProblems(page, `${name} at ${width} px`)));
  }
  await page.setViewportSize({ width: 1024, height: 768 });
  return problems;
}

/** How many times `text` is on the associate's page (notes are read-only text there). */
const countOf = (page, text) => page.evaluate((t) => document.body.innerText.split(t).length - 1, text);

/** The mentor's running note holding `text`: its list item. */
async function noteItem(page, text) {
  for (const item of await page.locator("li.obs-note").all()) {
    if ((await item.locator("textarea").inputValue()) === text) return item;
  }
  throw new Error(`no running note reads "${text}"`);
}

test("a deleted note comes back with Undo, and from history, on both devices", async () => {
  relay = await Relay.start({ demo: true });
  [tablet, phone] = await Promise.all([openBrowser(TABLET), openBrowser(SMALL_PHONE)]);
  const [mentor, associate] = [tablet.page, phone.page];
  await Promise.all([signIn(mentor, relay.appUrl, DEMO.mentor), signIn(associate, relay.appUrl, DEMO.associate)]);
  await Promise.all([openPair(mentor), openPair(associate)]);
  const hash = await openSharedObservation(mentor);
  await go(associate, hash);

  const text = "Pairs explained their reasoning to each other.";
  await addNote(mentor, text);
  await mentor.locator("body").click({ position: { x: 5, y: 5 } });
  await waitUntilSynced(mentor);
  await waitForTexts(associate, [text]);

  // A slip: Delete, then Undo.
  await (await noteItem(mentor, text)).getByRole("button", { name: /^Delete note at / }).click();
  const toast = mentor.locator(".undo-toast[role=status]");
  await toast.getByText("Note deleted.").waitFor();
  const problems = await lookAt(mentor, "undo-toast");
  await toast.getByRole("button", { name: "Undo" }).click();
  await toast.waitFor({ state: "detached" });
  await noteItem(mentor, text);
  await waitUntilSynced(mentor);
  await associate.waitForFunction((t) => document.body.innerText.split(t).length === 2, text, { timeout: 60_000 });
  assert.equal(await countOf(associate, text), 1, "the note is back once on the phone");

  // Deleted for good, as far as the toast is concerned: History brings it back.
  await (await noteItem(mentor, text)).getByRole("button", { name: /^Delete note at / }).click();
  await toast.getByRole("button", { name: "Close" }).click();
  await toast.waitFor({ state: "detached" });
  await waitUntilSynced(mentor);
  await associate.waitForFunction((t) => !document.body.innerText.includes(t), text, { timeout: 60_000 });

  await mentor.getByRole("link", { name: "History" }).click();
  const deleted = mentor.getByRole("region", { name: "Deleted" });
  const item = deleted.locator("li").filter({ hasText: text });
  await item.waitFor();
  assert.match(await item.innerText(), new RegExp(`deleted by ${DEMO.mentor.name} at`));
  problems.push(...(await lookAt(mentor, "undo-history-deleted")));
  await item.getByRole("button", { name: /^Restore/ }).click();
  await deleted.getByRole("status").getByText("Running note restored").waitFor();
  await item.waitFor({ state: "detached" });
  await go(mentor, hash);
  await noteItem(mentor, text);
  await waitUntilSynced(mentor);
  await associate.waitForFunction((t) => document.body.innerText.split(t).length === 2, text, { timeout: 60_000 });

  assert.deepEqual(problems, [], `axe-core found serious or critical problems:\n${problems.join("\n")}`);
});

test("deleting a question the associate answered asks first, and Undo brings the answer back", async () => {
  relay = await Relay.start({ demo: true });
  [tablet, phone] = await Promise.all([openBrowser(TABLET), openBrowser(SMALL_PHONE)]);
  const [mentor, associate] = [tablet.page, phone.page];
  await Promise.all([signIn(mentor, relay.appUrl, DEMO.mentor), signIn(associate, relay.appUrl, DEMO.associate)]);
  await Promise.all([openPair(mentor), openPair(associate)]);
  const hash = await openSharedObservation(mentor);
  await go(associate, hash);

  const answer = "I would give the groups a timer.";
  const questions = await associate.getByLabel("Your answer").count();
  const field = associate.getByLabel("Your answer").first();
  await field.fill(answer);
  await field.blur();
  await waitUntilSynced(associate);
  await waitForTexts(mentor, [answer]);

  const question = mentor.locator("li.obs-question").filter({ hasText: answer });
  await question.getByRole("button", { name: /^Delete question/ }).click();
  const ask = question.getByRole("alertdialog");
  await ask.waitFor();
  assert.match(await ask.innerText(), new RegExp(`${DEMO.associate.name}'s answer`));
  const problems = await lookAt(mentor, "undo-question-confirm");
  await ask.getByRole("button", { name: "Keep it" }).click();
  await ask.waitFor({ state: "detached" });
  assert.equal(await question.count(), 1, "kept");

  await question.getByRole("button", { name: /^Delete question/ }).click();
  await ask.getByRole("button", { name: "Delete question and answer" }).click();
  await mentor.locator(".undo-toast").getByRole("button", { name: "Undo" }).click();
  await question.waitFor();
  await waitUntilSynced(mentor);
  await associate.waitForFunction(
    (a) => [...document.querySelectorAll("textarea")].some((t) => t.value === a),
    answer,
    { timeout: 60_000 },
  );
  await waitUntilSynced(associate);
  assert.equal(await associate.getByLabel("Your answer").count(), questions, "the question is back once");
  assert.equal(await associate.getByLabel("Your answer").first().inputValue(), answer);

  assert.deepEqual(problems, [], `axe-core found serious or critical problems:\n${problems.join("\n")}`);
});
