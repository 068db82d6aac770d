// Every main screen, at a phone's width (360 px) and a tablet's (1024 px): axe-core finds no
// serious or critical problem, and a screenshot of each is saved to tests/browser/screenshots/
// for people to look at.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { axeViolations, openBrowser, PHONE, screenshot, TABLET } from "./browser.mjs";
import { DEMO, Relay } from "./relay.mjs";
import { go, openPair, openSharedObservation, signIn, waitUntilSynced } from "./screens.mjs";

const WIDTHS = [360, 1024];

let relay;
let tablet;
let phone;

afterEach(async () => {
  await tablet?.close();
  await phone?.close();
  await relay?.dispose();
  tablet = phone = relay = undefined;
});

test("every main screen has no serious or critical accessibility problem at 360 and 1024 px", async (t) => {
  relay = await Relay.start({ demo: true });
  [tablet, phone] = await Promise.all([openBrowser(TABLET), openBrowser(PHONE)]);
  const mentor = tablet.page;
  const associate = phone.page;
  const problems = [];

  const check = async (page, name, ready) => {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: width < 600 ? 800 : 768 });
      await ready();
      await screenshot(page, name, width);
      const violations = await axeViolations(page);
      for (const v of violations) {
        const line = `${name} at ${width} px: ${v.impact} ${v.id} (${v.help}): ${v.targets.join(", ")}`;
        if (v.impact === "serious" || v.impact === "critical") problems.push(line);
        else t.diagnostic(line);
      }
    }
  };
  const heading = (page, name) => () => page.getByRole("heading", { level: 1, name }).waitFor();

  await mentor.goto(new URL("#/signin", relay.appUrl).href);
  await check(mentor, "signin", () => mentor.getByLabel("Email").waitFor());

  await signIn(mentor, relay.appUrl, DEMO.mentor);
  await waitUntilSynced(mentor);
  await check(mentor, "pairs", heading(mentor, "My pairs"));

  const pairHash = await openPair(mentor);
  await check(mentor, "pair", heading(mentor, DEMO.pairName));

  const docHash = await openSharedObservation(mentor);
  await check(mentor, "observation-mentor", () => mentor.getByRole("button", { name: "Add note" }).waitFor());

  // Each screen reached the way a person does: by its link.
  await follow(mentor, "History", `${docHash}/history`);
  await check(mentor, "history", () => mentor.getByRole("heading", { name: /^History of/ }).waitFor());

  await go(mentor, pairHash);
  await follow(mentor, "Goals", `${pairHash}/goals`);
  await check(mentor, "goals", () => mentor.getByRole("button", { name: "New goal" }).waitFor());

  await go(mentor, pairHash);
  await follow(mentor, /^Needs agreement( \(\d+\))?$/, `${pairHash}/agreement`);
  await check(mentor, "agreement", () => mentor.getByRole("heading", { level: 1 }).waitFor());

  await signIn(associate, relay.appUrl, DEMO.associate);
  await openPair(associate);
  await openSharedObservation(associate);
  await check(associate, "observation-associate", () => associate.getByLabel("Your reflection").waitFor());

  assert.deepEqual(problems, [], `axe-core found serious or critical problems:\n${problems.join("\n")}`);
});

/** Clicks the link named `name` and waits for the app to route to `hash`. */
async function follow(page, name, hash) {
  await page.getByRole("link", typeof name === "string" ? { name, exact: true } : { name }).click();
  await page.waitForFunction((h) => location.hash === h, hash);
}
