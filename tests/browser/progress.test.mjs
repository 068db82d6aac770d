// The coordinator's Progress tab, from real records: a program set up only with `tandem admin`
// (no demo), the mentor shares one observation, keeps another as a draft and sets two goals (one
// achieved, one with a check-in) in the app; the coordinator's progress page counts exactly the
// shared ones, says so in the charts' text alternatives, shows no word of any record, and is
// axe-clean at 1024 and 1280 px. An empty program says so in words first.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { axeViolations, openBrowser, screenshot } from "./browser.mjs";
import { Relay } from "./relay.mjs";
import { addNote, goalArticle, shareObservation, signIn, waitUntilSynced } from "./screens.mjs";

const WIDTHS = [1024, 1280];
const SHARED_NOTE = "Students explained their reasoning to a partner.";
const DRAFT_NOTE = "Draft only: ask about the seating plan.";
const GOALS = { done: "Wait time after every question", going: "Cold-call fairly across the room" };

let relay;
let browsers = [];

afterEach(async () => {
  for (const browser of browsers) await browser.close();
  await relay?.dispose();
  browsers = [];
  relay = undefined;
});

/** A visually hidden table's cells, row by row (what a screen reader reads for a chart). */
async function tableCells(page, caption) {
  const table = page.getByRole("table", { name: caption });
  await table.waitFor({ state: "attached" });
  return table.evaluate((t) => [...t.rows].map((row) => [...row.cells].map((cell) => cell.textContent.trim())));
}

test("the coordinator's progress page counts the pair's shared observation and goals from real records, never the draft", async (t) => {
  relay = await Relay.start();
  const program = await relay.setUpProgram();
  const [mentorBrowser, coordinatorBrowser] = await Promise.all([
    openBrowser({ width: 1024, height: 768 }),
    openBrowser({ width: 1280, height: 800 }),
  ]);
  browsers = [mentorBrowser, coordinatorBrowser];
  const [mentor, coordinator] = [mentorBrowser.page, coordinatorBrowser.page];
  const problems = [];
  const check = async (name, ready) => {
    for (const width of WIDTHS) {
      await coordinator.setViewportSize({ width, height: 800 });
      await ready();
      await screenshot(coordinator, name, width);
      for (const v of await axeViolations(coordinator)) {
        const line = `${name} at ${width} px: ${v.impact} ${v.id} (${v.help}): ${v.targets.join(", ")}`;
        if (v.impact === "serious" || v.impact === "critical") problems.push(line);
        else t.diagnostic(line);
      }
    }
  };

  // Before anything is written, the progress page says so in words.
  await signIn(coordinator, relay.appUrl, program.coordinator, program.password);
  await coordinator.getByRole("link", { name: "Program console" }).click();
  await coordinator.getByRole("heading", { level: 1, name: "North residency" }).waitFor();
  await coordinator.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Progress" }).click();
  const nothingYet = coordinator.getByText("Nothing to count yet: none of the program's 1 pair has shared an observation or set a goal.");
  await check("progress-empty", () => nothingYet.waitFor());
  assert.equal(await coordinator.locator(".chart svg").count(), 0, "no empty charts");

  // The mentor shares one observation and keeps a second one as a draft.
  await signIn(mentor, relay.appUrl, program.mentor, program.password);
  await mentor.getByRole("link", { name: program.pairName }).click();
  await mentor.getByRole("heading", { level: 1, name: program.pairName }).waitFor();
  const pairHash = await mentor.evaluate(() => location.hash);
  await mentor.getByRole("button", { name: "New observation" }).click();
  await mentor.waitForFunction(() => /^#\/doc\/[^/]+$/.test(location.hash));
  await addNote(mentor, SHARED_NOTE);
  await waitUntilSynced(mentor);
  await shareObservation(mentor, program.associate.name);
  await waitUntilSynced(mentor);

  await mentor.evaluate((h) => (location.hash = h), pairHash);
  await mentor.getByRole("button", { name: "New observation" }).click();
  await mentor.waitForFunction(() => /^#\/doc\/[^/]+$/.test(location.hash));
  await addNote(mentor, DRAFT_NOTE);
  await waitUntilSynced(mentor);

  // And sets two goals: one achieved, one with a check-in.
  await mentor.evaluate((h) => (location.hash = `${h}/goals`), pairHash);
  await mentor.getByRole("button", { name: "Start goals for this pair" }).click();
  for (const title of [GOALS.done, GOALS.going]) {
    await mentor.getByRole("button", { name: "New goal" }).click();
    // The new goal's title field takes the focus (its id is goal-{doc}-{goal}-title).
    await mentor.waitForFunction(() => /^goal-.+-title$/.test(document.activeElement?.id ?? ""));
    await mentor.keyboard.type(title);
    await waitUntilSynced(mentor);
  }
  const going = await goalArticle(mentor, GOALS.going);
  await going.getByLabel("Progress (%)").fill("40");
  await going.getByLabel("Check-in note").fill("Tried a name jar this week.");
  await going.getByRole("button", { name: "Add check-in" }).click();
  await (await goalArticle(mentor, GOALS.done)).getByRole("button", { name: "Mark achieved" }).click();
  await waitUntilSynced(mentor);

  // The coordinator's progress page counts what the relay holds: one shared observation this
  // month (not the draft), one goal active and one achieved, one check-in.
  await coordinator.reload();
  await coordinator.getByRole("heading", { name: "Observations per pair" }).waitFor();
  const month = new Date().toLocaleString("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
  assert.deepEqual(await tableCells(coordinator, "Observations shared per pair per month"), [
    ["Pair", month, "Total"],
    [program.pairName, "1", "1"],
  ]);
  assert.deepEqual(await tableCells(coordinator, "Goals by status per pair"), [
    ["Pair", "Active", "Achieved", "Reworked", "Dropped", "Total"],
    [program.pairName, "1", "1", "0", "0", "2"],
  ]);
  assert.deepEqual(await tableCells(coordinator, "Check-ins per month"), [
    ["Month", "Check-ins"],
    [month, "1"],
  ]);
  await coordinator.getByText("1 observation shared in all").waitFor();
  await coordinator.getByText("2 goals in all: 1 active, 1 achieved, 0 reworked, 0 dropped.").waitFor();
  assert.equal(await coordinator.locator(".chart svg").count(), 3, "three charts are drawn");
  const page = await coordinator.locator("body").innerText();
  for (const words of [SHARED_NOTE, DRAFT_NOTE, GOALS.done, GOALS.going, "name jar"]) {
    assert.ok(!page.includes(words), `no record's words on the coordinator's page: ${words}`);
  }
  await check("progress", () => coordinator.getByRole("heading", { name: "Check-ins over time" }).waitFor());

  assert.deepEqual(problems, [], "axe finds nothing serious on the progress page");
  assert.deepEqual([...mentorBrowser.errors, ...coordinatorBrowser.errors], []);
});
