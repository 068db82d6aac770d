// Words a teacher reads in the first week: counts that agree with their number ("1 note"), the
// associate reading about her own lesson ("Grace Okafor observed your lesson"), dates written the
// way the date field writes them in the reader's locale, and the word that the device is ready
// to work offline. At 360 and 1024 px, with axe-core clean and screenshots to look at.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { openBrowser, screenshot, seriousAxeProblems, SMALL_PHONE, TABLET, waitForServiceWorker } from "./browser.mjs";
import { DEMO, Relay } from "./relay.mjs";
import { addNote, openPair, openSharedObservation, signIn, waitUntilSynced } from "./screens.mjs";

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
  return problems;
}

test("after the first sign-in the device says once that it is ready to work offline", async () => {
  relay = await Relay.start({ demo: true });
  phone = await openBrowser(SMALL_PHONE);
  const page = phone.page;
  await signIn(page, relay.appUrl, DEMO.associate);
  const notice = page.locator(".offline-ready[role=status]");
  await notice.getByText("Ready to work offline on this device").waitFor({ timeout: 60_000 });
  // What it promises holds: the app's code is cached and every record is stored.
  await waitForServiceWorker(page);
  await waitUntilSynced(page);
  const problems = await lookAt(page, "words-offline-ready");
  await notice.getByRole("button", { name: "OK" }).click();
  await notice.waitFor({ state: "detached" });

  // Said once: not again on this device, with the network or without it.
  await relay.stop();
  await page.reload();
  await page.getByRole("heading", { level: 1, name: "My pairs" }).waitFor();
  await page.locator("p.sync-status[role=status]").waitFor();
  assert.equal(await notice.count(), 0, "the notice stays dismissed after a reload");
  assert.deepEqual(problems, [], `axe-core found serious or critical problems:\n${problems.join("\n")}`);
});

test("counts agree with their number, the associate reads about her own lesson, dates read as the date field", async () => {
  relay = await Relay.start({ demo: true });
  // A British tablet: the date field writes 01/12/2026 for the first of December, and so must the rest.
  tablet = await openBrowser({ ...TABLET, locale: "en-GB" });
  phone = await openBrowser(SMALL_PHONE);
  const [mentor, associate] = [tablet.page, phone.page];
  await Promise.all([signIn(mentor, relay.appUrl, DEMO.mentor), signIn(associate, relay.appUrl, DEMO.associate)]);
  await Promise.all([openPair(mentor), openPair(associate)]);

  // One note and one question: "1 note · 1 question", never "1 notes".
  await mentor.getByRole("button", { name: "New observation" }).click();
  await mentor.waitForFunction(() => /^#\/doc\/[^/]+$/.test(location.hash));
  await mentor.getByLabel("Subject").fill("Counted once");
  await mentor.getByLabel("Subject").blur();
  await addNote(mentor, "One note only.");
  await mentor.getByRole("button", { name: "Write your own question" }).click();
  await mentor.keyboard.type("What will you keep?");
  await mentor.getByLabel("Date").fill("2026-12-01");
  await mentor.getByLabel("Date").blur();
  const heading = mentor.getByRole("heading", { level: 1 });
  await mentor.waitForFunction(() => /01\/12\/2026/.test(document.querySelector("h1")?.textContent ?? ""));
  assert.equal(await heading.innerText(), "Observation · 01/12/2026 · Counted once");
  await waitUntilSynced(mentor);
  const problems = await lookAt(mentor, "words-mentor-draft");

  await mentor.goBack();
  const card = mentor.locator("li.card").filter({ has: mentor.getByRole("link", { name: /Counted once/ }) });
  await card.waitFor();
  assert.match(await card.innerText(), /01\/12\/2026 · Counted once · draft/);
  assert.match(await card.innerText(), /1 note · 1 question\b/);
  const metas = await mentor.locator("li.card .meta").allInnerTexts();
  assert.ok(metas.length > 1, "the demo pair has observations to list");
  for (const meta of metas) assert.doesNotMatch(meta, /\b1 (notes|questions)\b/, meta);
  problems.push(...(await lookAt(mentor, "words-pair")));

  // The associate, on her phone, reads about her own lesson.
  await openSharedObservation(associate);
  const byline = associate.locator(".obs-byline");
  await byline.waitFor();
  assert.match(await byline.innerText(), new RegExp(`^${DEMO.mentor.name} observed your lesson`));
  assert.doesNotMatch(await associate.locator("main").innerText(), /\d{4}-\d{2}-\d{2}/, "no ISO dates on screen");
  problems.push(...(await lookAt(associate, "words-associate")));

  assert.deepEqual(problems, [], `axe-core found serious or critical problems:\n${problems.join("\n")}`);
});
