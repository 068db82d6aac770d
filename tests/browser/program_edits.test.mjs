// The coordinator edits the program document in the console like any document: a new question in
// the bank and a new competency area, on a program set up only with `tandem admin` (no demo).
// After sync the mentor's tablet offers both: the question in the observation's question bank,
// the area in a note's competency picker. A retired question and a retired area are no longer
// offered to the mentor.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { axeViolations, openBrowser, screenshot, TABLET } from "./browser.mjs";
import { Relay } from "./relay.mjs";
import { signIn, waitUntilSynced } from "./screens.mjs";

let relay;
let browsers = [];

afterEach(async () => {
  for (const browser of browsers) await browser.close();
  await relay?.dispose();
  browsers = [];
  relay = undefined;
});

const QUESTION = "What would a visitor to your room notice first about how students help each other?";
const AREA = { title: "Families as partners", description: "Families hear what their child is learning and how to help." };
const RETIRED = "Which moment of the lesson are you proudest of, and why?";
const RETIRED_AREA = "Academic ownership";

// axe-core's serious and critical findings on the page at both console widths, as lines.
async function axeProblems(page, name) {
  const problems = [];
  for (const width of [1024, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    for (const v of await axeViolations(page)) {
      if (v.impact === "serious" || v.impact === "critical") problems.push(`${name} at ${width} px: ${v.impact} ${v.id}: ${v.help} (${v.targets.join(", ")})`);
    }
  }
  return problems;
}

test("questions and competency areas added and retired in the console reach the mentor's question bank and competency picker", async () => {
  relay = await Relay.start();
  const program = await relay.setUpProgram();
  const [laptop, tablet] = await Promise.all([openBrowser({ width: 1280, height: 800 }), openBrowser(TABLET)]);
  browsers = [laptop, tablet];
  const coordinator = laptop.page;
  const mentor = tablet.page;
  await Promise.all([
    signIn(coordinator, relay.appUrl, program.coordinator, program.password),
    signIn(mentor, relay.appUrl, program.mentor, program.password),
  ]);

  // The question bank: a new question under a theme, and one retired.
  await coordinator.getByRole("link", { name: "Program console" }).click();
  const tabs = coordinator.getByRole("navigation", { name: "Console" });
  await tabs.getByRole("link", { name: "Question bank" }).click();
  await coordinator.getByRole("heading", { name: "Add a question" }).waitFor();
  await coordinator.getByLabel("Theme", { exact: true }).selectOption({ label: "Student thinking" });
  await coordinator.getByLabel("Question", { exact: true }).fill(QUESTION);
  await coordinator.getByRole("button", { name: "Add question" }).click();
  await coordinator.getByRole("region", { name: "Student thinking" }).getByLabel("Question in Student thinking").last().waitFor();
  assert.equal(await coordinator.getByLabel("Question in Student thinking").last().inputValue(), QUESTION);
  await coordinator.getByRole("button", { name: `Retire “${RETIRED}”` }).click();
  await coordinator.getByRole("region", { name: "Retired questions" }).getByText(RETIRED).waitFor();
  await screenshot(coordinator, "console-questions", 1280);
  await screenshot(coordinator, "console-questions", 1024);
  const problems = await axeProblems(coordinator, "the question bank");

  // The framework: a fifth area with a description and levels.
  await tabs.getByRole("link", { name: "Competencies" }).click();
  await coordinator.getByRole("button", { name: "Add a competency area" }).click();
  const form = coordinator.getByRole("form", { name: "New competency area" });
  await form.getByLabel("Name", { exact: true }).fill(AREA.title);
  await form.getByLabel("What it is").fill(AREA.description);
  await form.getByLabel("What level 1 looks like").fill("The teacher tells families about the class once a term.");
  await form.getByRole("button", { name: "Save area" }).click();
  await coordinator.getByRole("heading", { name: `5 ${AREA.title}` }).waitFor();
  await coordinator.getByText(/^Version 2, published/).waitFor();
  await coordinator.getByRole("button", { name: `Retire ${RETIRED_AREA}` }).click();
  await coordinator.getByRole("region", { name: "Retired areas" }).getByText(`3 ${RETIRED_AREA}`).waitFor();
  await coordinator.getByText(/^Version 3, published/).waitFor();
  assert.equal(await coordinator.getByRole("heading", { name: `3 ${RETIRED_AREA}` }).count(), 0, "a retired area leaves the list");
  await screenshot(coordinator, "console-framework", 1280);
  await screenshot(coordinator, "console-framework", 1024);
  problems.push(...(await axeProblems(coordinator, "the framework")));
  await coordinator.getByRole("button", { name: "Add a competency area" }).click();
  problems.push(...(await axeProblems(coordinator, "the new area form")));
  await screenshot(coordinator, "console-framework-form", 1024);
  await coordinator.getByRole("button", { name: "Cancel" }).click();
  await waitUntilSynced(coordinator);

  // The mentor's tablet, after sync: the new question in the bank, the retired one gone, and the
  // new area in a note's competency picker.
  await mentor.getByRole("link", { name: program.pairName }).click();
  await mentor.getByRole("button", { name: "New observation" }).click();
  await mentor.waitForFunction(() => /^#\/doc\/[^/]+$/.test(location.hash));
  await mentor.getByRole("button", { name: "Add a question" }).click();
  await mentor.getByRole("group", { name: "Student thinking" }).getByRole("button", { name: QUESTION }).waitFor({ timeout: 60_000 });
  assert.equal(await mentor.getByRole("button", { name: RETIRED }).count(), 0, "a retired question is not offered");
  await mentor.getByRole("button", { name: "Add note" }).click();
  await mentor.keyboard.type("Sent home the reading log with a note for parents.");
  const picker = mentor.getByLabel(/^Competency for note at/);
  await picker.locator("option", { hasText: AREA.title }).waitFor({ state: "attached" });
  assert.equal(await picker.locator("option", { hasText: RETIRED_AREA }).count(), 0, "a retired area is not offered");
  await picker.selectOption({ label: `5 ${AREA.title}` });
  await waitUntilSynced(mentor);
  await screenshot(mentor, "program-edits-mentor-observation", 1024);

  assert.deepEqual(problems, []);
  assert.deepEqual(browsers.flatMap((b) => b.errors), []);
});
