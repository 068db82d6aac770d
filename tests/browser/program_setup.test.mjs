// A residency set up only with `tandem admin` (the README's steps, no demo) works in the browser:
// the mentor and the associate see each other's names, never an internal id, and the program's
// default question bank and competencies are on their devices.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { openBrowser, PHONE, screenshot, TABLET } from "./browser.mjs";
import { Relay } from "./relay.mjs";
import { shareObservation, signIn, waitUntilSynced } from "./screens.mjs";

let relay;
let tablet;
let phone;

afterEach(async () => {
  await tablet?.close();
  await phone?.close();
  await relay?.dispose();
  tablet = phone = relay = undefined;
});

/** No person is shown by an internal id (`u-…`) anywhere on the page. */
async function assertNoInternalIds(page, where) {
  const text = await page.locator("body").innerText();
  assert.doesNotMatch(text, /\bu-[0-9a-f]{6,}/, `${where} shows an internal id: ${text}`);
}

test("a program set up only with tandem admin shows names, the question bank and the competencies to mentor and associate", async () => {
  relay = await Relay.start();
  const program = await relay.setUpProgram();
  [tablet, phone] = await Promise.all([openBrowser(TABLET), openBrowser(PHONE)]);
  const mentor = tablet.page;
  const associate = phone.page;
  await Promise.all([
    signIn(mentor, relay.appUrl, program.mentor, program.password),
    signIn(associate, relay.appUrl, program.associate, program.password),
  ]);

  for (const page of [mentor, associate]) {
    await page.getByRole("link", { name: program.pairName }).waitFor();
    await assertNoInternalIds(page, "My pairs");
  }
  await screenshot(associate, "program-associate-pairs", 360);
  await screenshot(mentor, "program-mentor-pairs", 1024);

  await mentor.getByRole("link", { name: program.pairName }).click();
  await mentor.getByRole("heading", { level: 1, name: program.pairName }).waitFor();
  await mentor.getByRole("button", { name: "New observation" }).click();
  await mentor.waitForFunction(() => /^#\/doc\/[^/]+$/.test(location.hash));
  await mentor.getByRole("heading", { name: `Questions for ${program.associate.name}` }).waitFor();
  await mentor.getByRole("button", { name: `Share with ${program.associate.name}` }).waitFor();

  // The program document the first coordinator got: the default bank, by theme.
  await mentor.getByRole("button", { name: "Add a question" }).click();
  await mentor.getByRole("heading", { name: "Question bank" }).waitFor();
  for (const theme of ["Strengths", "Planning", "Student thinking", "Next steps"]) {
    await mentor.getByRole("group", { name: theme }).waitFor();
  }
  const question = "What do you think would have the greatest impact on your students' learning?";
  await mentor.getByRole("button", { name: question }).click();
  assert.equal(await mentor.getByRole("button", { name: question }).count(), 0, "an asked question leaves the bank");

  // And the default framework on a note's competency picker.
  await mentor.getByRole("button", { name: "Add note" }).click();
  await mentor.keyboard.type("Students explained their reasoning to a partner.");
  const picker = mentor.getByLabel(/^Competency for note at/);
  for (const area of ["Culture of learning", "Essential content", "Academic ownership", "Demonstration of learning"]) {
    assert.equal(await picker.locator("option", { hasText: area }).count(), 1, `${area} is offered`);
  }
  await picker.selectOption({ label: "3 Academic ownership" });
  await assertNoInternalIds(mentor, "the observation");
  await waitUntilSynced(mentor);
  await screenshot(mentor, "program-mentor-observation", 1024);
  await screenshot(mentor, "program-mentor-observation", 360);

  // The mentor shares it; the associate's phone names the mentor and shows the competency by name.
  await mentor.setViewportSize({ width: 1024, height: 768 });
  await shareObservation(mentor, program.associate.name);
  await waitUntilSynced(mentor);

  await associate.getByRole("link", { name: program.pairName }).click();
  const shared = associate.getByRole("link", { name: / · .* · shared/ });
  await shared.first().waitFor({ timeout: 60_000 });
  await shared.first().click();
  await associate.getByText(program.mentor.name, { exact: false }).first().waitFor();
  await associate.getByText("Academic ownership", { exact: false }).first().waitFor();
  await assertNoInternalIds(associate, "the shared observation");
  await screenshot(associate, "program-associate-observation", 360);
  await screenshot(associate, "program-associate-observation", 1024);
  assert.deepEqual([...tablet.errors, ...phone.errors], []);
});
