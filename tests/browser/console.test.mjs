// The coordinator's console on a program set up only with `tandem admin` (no demo): the
// coordinator invites a new associate, she opens the link in her own browser and chooses a
// password, the coordinator pairs her with the mentor, and the mentor's device names her. The link
// works once, waits under "Waiting to join" until it is taken, and an expired or withdrawn link
// gets a page saying so. Every console screen is axe-clean at 1024 and 1280 px, with a screenshot
// of each.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { axeViolations, openBrowser, screenshot } from "./browser.mjs";
import { Relay } from "./relay.mjs";
import { signIn } from "./screens.mjs";

const WIDTHS = [1024, 1280];
const NEW = { name: "Ada Lovelace", email: "ada@school.example", password: "ada's own long password" };

let relay;
let browsers = [];

afterEach(async () => {
  for (const browser of browsers) await browser.close();
  await relay?.dispose();
  browsers = [];
  relay = undefined;
});

test("a coordinator invites an associate in the console, she joins by the link once, is paired, and the mentor sees her name", async (t) => {
  relay = await Relay.start();
  const program = await relay.setUpProgram();
  const [coordinatorBrowser, adaBrowser, mentorBrowser, laterBrowser] = await Promise.all(
    [0, 1, 2, 3].map(() => openBrowser({ width: 1280, height: 800 })),
  );
  browsers = [coordinatorBrowser, adaBrowser, mentorBrowser, laterBrowser];
  const coordinator = coordinatorBrowser.page;
  const problems = [];
  const check = async (page, name, ready) => {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 800 });
      await ready();
      await screenshot(page, name, width);
      for (const v of await axeViolations(page)) {
        const line = `${name} at ${width} px: ${v.impact} ${v.id} (${v.help}): ${v.targets.join(", ")}`;
        if (v.impact === "serious" || v.impact === "critical") problems.push(line);
        else t.diagnostic(line);
      }
    }
  };

  // The mentor and the associate are not offered the console.
  const mentor = mentorBrowser.page;
  await signIn(mentor, relay.appUrl, program.mentor, program.password);
  assert.equal(await mentor.getByRole("link", { name: /console/i }).count(), 0, "no console for a mentor");

  await signIn(coordinator, relay.appUrl, program.coordinator, program.password);
  await coordinator.getByRole("link", { name: "Program console" }).click();
  await coordinator.getByRole("heading", { level: 1, name: "North residency" }).waitFor();
  await check(coordinator, "console-overview", () => coordinator.getByRole("heading", { name: "Cohorts" }).waitFor());
  const stats = await coordinator.locator(".stats").innerText();
  assert.match(stats, /3\s+people/);
  assert.match(stats, /1\s+pair/);

  // Invite Ada as an associate: the link is shown once, to copy or print.
  await coordinator.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "People" }).click();
  await coordinator.getByRole("heading", { name: "Invite someone" }).waitFor();
  await coordinator.getByLabel("Name", { exact: true }).fill(NEW.name);
  await coordinator.getByLabel("Email", { exact: true }).fill(NEW.email);
  await coordinator.getByLabel("Role", { exact: true }).selectOption("associate");
  await coordinator.getByRole("button", { name: "Make invitation link" }).click();
  const linkField = coordinator.getByLabel("Sign-up link");
  await linkField.waitFor();
  const link = await linkField.inputValue();
  assert.match(link, /#\/join\/[0-9a-f]{32,}$/, `a sign-up link: ${link}`);
  await coordinator.getByRole("button", { name: "Copy link" }).waitFor();
  await coordinator.getByRole("button", { name: "Print" }).waitFor();
  // Until she takes it, the invitation waits in the console: who, role, when; never the link again.
  const waitingRow = coordinator.getByRole("region", { name: "Waiting to join" }).getByRole("row").filter({ hasText: NEW.name });
  await waitingRow.waitFor();
  assert.match(await waitingRow.innerText(), /ada@school\.example[\s\S]*Associate/);
  const waitingText = await coordinator.getByRole("region", { name: "Waiting to join" }).innerText();
  assert.ok(!waitingText.includes(link.split("/join/")[1]), "the waiting list never shows the link");
  await check(coordinator, "console-people", () => linkField.waitFor());

  // Ada opens it in her own browser: what it invites to, a password chosen once, signed in.
  const ada = adaBrowser.page;
  await ada.goto(link);
  await ada.getByRole("heading", { level: 1, name: "Join North residency" }).waitFor();
  await ada.getByText(`${NEW.name} is invited as an associate`).waitFor();
  await screenshot(ada, "console-join", 1024);
  await ada.getByLabel("Choose a password").fill(NEW.password);
  await ada.getByLabel("Type it again").fill(NEW.password);
  await ada.getByRole("button", { name: "Join and sign in" }).click();
  await ada.getByRole("heading", { level: 1, name: "My pairs" }).waitFor();
  assert.equal(await ada.locator(".bar .who").innerText(), NEW.name);

  // The link works once: another browser opening it is told so.
  const later = laterBrowser.page;
  await later.goto(link);
  await later.getByRole("heading", { level: 1, name: "This invitation was already used" }).waitFor();
  assert.equal(await later.getByLabel("Choose a password").count(), 0);
  await later.getByRole("link", { name: "Sign in" }).waitFor();

  // She is in the program now; the coordinator pairs her with the mentor, in a new cohort.
  await coordinator.reload();
  await coordinator.getByRole("region", { name: "People" }).getByRole("row", { name: new RegExp(NEW.name) }).waitFor();
  await coordinator.getByText("No invitations waiting").waitFor();
  await coordinator.getByRole("link", { name: "Pairs and cohorts" }).click();
  await coordinator.getByLabel("New cohort's name").fill("Autumn cohort");
  await coordinator.getByRole("button", { name: "Add cohort" }).click();
  await coordinator.getByRole("listitem").filter({ hasText: "Autumn cohort" }).waitFor();
  await coordinator.getByLabel("Mentor", { exact: true }).selectOption({ label: program.mentor.name });
  await coordinator.getByLabel("Associate", { exact: true }).selectOption({ label: NEW.name });
  await coordinator.getByLabel("Cohort", { exact: true }).selectOption({ label: "Autumn cohort" });
  await coordinator.getByRole("button", { name: "Create pair" }).click();
  const adaRow = coordinator.getByRole("row").filter({ hasText: NEW.name });
  await adaRow.waitFor();
  assert.match(await adaRow.innerText(), /Autumn cohort[\s\S]*Active/);
  await check(coordinator, "console-pairs", () => adaRow.waitFor());

  // The mentor's device names her (the app asks /api/me again when it opens).
  await mentor.reload();
  await mentor.getByRole("link", { name: `${program.mentor.name} & ${NEW.name}` }).waitFor();
  await ada.reload();
  await ada.getByRole("link", { name: `${program.mentor.name} & ${NEW.name}` }).waitFor();

  // Reseating and ending: the first pair's associate seat is emptied, then the pair ends.
  const firstRow = coordinator.getByRole("row").filter({ hasText: program.associate.name });
  await firstRow.getByRole("button", { name: /^Reseat/ }).click();
  await coordinator.getByRole("form", { name: /^Seats of/ }).getByLabel("Associate").selectOption({ label: "Empty seat" });
  await coordinator.getByRole("button", { name: "Save seats" }).click();
  const emptied = coordinator.getByRole("row").filter({ hasText: "Seat empty" });
  await emptied.waitFor();
  await emptied.getByRole("button", { name: /^End/ }).click();
  await coordinator.getByRole("alertdialog").getByRole("button", { name: "End pair" }).click();
  await coordinator.getByRole("row").filter({ hasText: "Ended" }).waitFor();

  // Deactivating asks first, then the person leaves the list.
  await coordinator.getByRole("link", { name: "People" }).click();
  await coordinator.getByRole("button", { name: `Deactivate ${program.associate.name}` }).click();
  await check(coordinator, "console-deactivate", () => coordinator.getByRole("alertdialog").waitFor());
  await coordinator.getByRole("alertdialog").getByRole("button", { name: "Deactivate" }).click();
  await coordinator.getByRole("row", { name: new RegExp(program.associate.name) }).waitFor({ state: "detached" });

  assert.deepEqual(problems, [], `axe-core found serious or critical problems:\n${problems.join("\n")}`);
  const errors = browsers.flatMap((b) => b.errors).filter((e) => !/status of 410/.test(e));
  assert.deepEqual(errors, []);
});

test("an invitation link stops working once it expires (a relay setting) or is withdrawn, each with its own page", async () => {
  // Links last 18 s on this relay: long enough to open one, short enough to watch it expire.
  const LIFETIME_MS = 18_000;
  relay = await Relay.start({ args: ["--invitation-hours", String(LIFETIME_MS / 3_600_000)] });
  const program = await relay.setUpProgram();
  const [coordinatorBrowser, beaBrowser, cyBrowser] = await Promise.all([0, 1, 2].map(() => openBrowser({ width: 1024, height: 800 })));
  browsers = [coordinatorBrowser, beaBrowser, cyBrowser];
  const coordinator = coordinatorBrowser.page;
  await signIn(coordinator, relay.appUrl, program.coordinator, program.password);
  await coordinator.getByRole("link", { name: "Program console" }).click();
  await coordinator.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "People" }).click();
  const inviteSomeone = async (name, email) => {
    await coordinator.getByLabel("Name", { exact: true }).fill(name);
    await coordinator.getByLabel("Email", { exact: true }).fill(email);
    await coordinator.getByRole("button", { name: "Make invitation link" }).click();
    await coordinator.getByRole("heading", { name: `Invitation link for ${name}` }).waitFor();
    return coordinator.getByLabel("Sign-up link").inputValue();
  };
  const waiting = coordinator.getByRole("region", { name: "Waiting to join" });
  const beaLink = await inviteSomeone("Bea Turing", "bea@school.example");
  const beaMade = Date.now();
  const bea = beaBrowser.page;
  await bea.goto(beaLink);
  await bea.getByRole("heading", { level: 1, name: "Join North residency" }).waitFor();

  // Withdrawn: it leaves the list and its link's page says so.
  const cyLink = await inviteSomeone("Cy Hopper", "cy@school.example");
  await waiting.getByRole("row").filter({ hasText: "Cy Hopper" }).waitFor();
  await waiting.getByRole("button", { name: "Withdraw the invitation for Cy Hopper" }).click();
  await waiting.getByText("The invitation for Cy Hopper was withdrawn").waitFor();
  await waiting.getByRole("row").filter({ hasText: "Cy Hopper" }).waitFor({ state: "detached" });
  assert.equal(await waiting.getByRole("row").filter({ hasText: "Bea Turing" }).count(), 1, "Bea's is still waiting");
  const cy = cyBrowser.page;
  await cy.goto(cyLink);
  await cy.getByRole("heading", { level: 1, name: "This invitation was withdrawn" }).waitFor();
  assert.equal(await cy.getByLabel("Choose a password").count(), 0);

  // Expired: Bea's page, opened while the link worked, refuses her password once it has expired
  // and shows the expiry page, as does opening the link again. The relay made the link before
  // `beaMade`, so it expires before `beaMade + LIFETIME_MS` by the same machine's clock.
  const now = Date.now();
  if (now < beaMade + LIFETIME_MS + 500) await new Promise((resolve) => setTimeout(resolve, beaMade + LIFETIME_MS + 500 - now));
  await bea.getByLabel("Choose a password").fill("bea's own long password");
  await bea.getByLabel("Type it again").fill("bea's own long password");
  await bea.getByRole("button", { name: "Join and sign in" }).click();
  await bea.getByRole("heading", { level: 1, name: "This invitation has expired" }).waitFor();
  await bea.goto("about:blank");
  await bea.goto(beaLink);
  await bea.getByRole("heading", { level: 1, name: "This invitation has expired" }).waitFor();
  await bea.getByText("Ask your coordinator for a new one").waitFor();
  assert.equal(await bea.getByLabel("Choose a password").count(), 0);
  for (const width of WIDTHS) {
    await bea.setViewportSize({ width, height: 800 });
    await screenshot(bea, "console-join-expired", width);
    assert.deepEqual(await axeViolations(bea), [], `the expiry page at ${width} px`);
  }
  await coordinator.reload();
  await coordinator.getByText("No invitations waiting").waitFor();

  const errors = browsers.flatMap((b) => b.errors).filter((e) => !/status of 410/.test(e));
  assert.deepEqual(errors, []);
});
