// A mentor tags running notes Glow and Grow in class and shares the observation without retyping
// them: the associate reads those notes among the glows and grows, and the strengths-first check
// counts them. At 360 and 1024 px, with axe-core clean and screenshots to look at.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { axeViolations, openBrowser, PHONE, screenshot, TABLET } from "./browser.mjs";
import { DEMO, Relay } from "./relay.mjs";
import { addNote, openPair, signIn, waitUntilSynced } from "./screens.mjs";

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
    for (const v of await axeViolations(page)) {
      if (v.impact === "serious" || v.impact === "critical") {
        problems.push(`${name} at ${width} px: ${v.impact} ${v.id} (${v.help}): ${v.targets.join(", ")}`);
      }
    }
  }
  return problems;
}

test("notes tagged glow and grow in class are read among the glows and grows", async () => {
  relay = await Relay.start({ demo: true });
  [tablet, phone] = await Promise.all([openBrowser(TABLET), openBrowser(PHONE)]);
  const mentor = tablet.page;
  const associate = phone.page;
  await Promise.all([signIn(mentor, relay.appUrl, DEMO.mentor), signIn(associate, relay.appUrl, DEMO.associate)]);
  await Promise.all([openPair(mentor), openPair(associate)]);
  await waitUntilSynced(mentor);

  await mentor.getByRole("button", { name: "New observation" }).click();
  await mentor.waitForFunction(() => /^#\/doc\/[^/]+$/.test(location.hash));
  const draftHash = await mentor.evaluate(() => location.hash);
  await mentor.getByLabel("Subject").fill("Tagged in class");
  await mentor.getByLabel("Subject").blur();
  const glow = "Every hand up for the hook question.";
  const grow = "Three students at the back drifted during the task.";
  const notes = mentor.locator("li.obs-note");
  await addNote(mentor, glow);
  await notes.nth(0).getByRole("button", { name: "Glow", exact: true }).click();
  await addNote(mentor, grow);
  await notes.nth(1).getByRole("button", { name: "Grow", exact: true }).click();
  await mentor.getByLabel("Opening strength").fill("A warm, calm start at the door.");
  await mentor.getByLabel("Closing strength").fill("The exit ticket showed who had it.");
  await mentor.getByLabel("Closing strength").blur();

  // The mentor sees the tagged notes where the associate will read them, with no glow or grow typed.
  const glows = mentor.getByRole("group", { name: "Glows" });
  const grows = mentor.getByRole("group", { name: "Grows" });
  await glows.getByRole("list", { name: "From your notes, tagged Glow" }).getByText(glow).waitFor();
  await grows.getByRole("list", { name: "From your notes, tagged Grow" }).getByText(grow).waitFor();
  assert.equal(await grows.getByText(glow).count(), 0, "a glow is not offered among the grows");
  // Online, the private draft syncs too: "saved" may last only a moment, so wait for "synced".
  await waitUntilSynced(mentor);
  const problems = await lookAt(mentor, "tagged-feedback-mentor");

  // The strengths-first check counts the tagged glow: nothing to warn about.
  await mentor.getByRole("button", { name: `Share with ${DEMO.associate.name}` }).click();
  const dialog = mentor.getByRole("dialog");
  await dialog.getByRole("button", { name: "Share now" }).waitFor();
  assert.doesNotMatch(await dialog.innerText(), /balance the grows|open with a strength|close with a strength/i);
  await dialog.getByRole("button", { name: "Share now" }).click();
  await mentor.waitForFunction((draft) => /^#\/doc\/[^/]+$/.test(location.hash) && location.hash !== draft, draftHash);
  const sharedHash = await mentor.evaluate(() => location.hash);
  await waitUntilSynced(mentor);

  // The associate reads the tagged notes under Glows and Grows, not "No glows yet".
  const link = associate.getByRole("link", { name: /Tagged in class · shared/ });
  await link.waitFor({ timeout: 60_000 });
  await link.click();
  await associate.waitForFunction((hash) => location.hash === hash, sharedHash);
  const read = (name) => associate.getByRole("region", { name, exact: true });
  await read("Glows").getByText(glow).waitFor({ timeout: 60_000 });
  await read("Grows").getByText(grow).waitFor();
  assert.equal(await read("Glows").getByText("No glows yet").count(), 0);
  assert.equal(await read("Grows").getByText("No grows yet").count(), 0);
  assert.match(await read("Glows").innerText(), /noted at \d{1,2}:\d{2}/);
  await read("Glows").scrollIntoViewIfNeeded();
  problems.push(...(await lookAt(associate, "tagged-feedback-associate")));

  assert.deepEqual(problems, [], `axe-core found serious or critical problems:\n${problems.join("\n")}`);
});
