// The mentor's private notes, on a program set up only with `tandem admin` (no demo): the mentor
// writes them from the pair and from an observation, told plainly that only they see them; the
// associate and the coordinator cannot open them, neither in the app, nor through the API, nor by
// asking the relay for the document over sync with an automerge-repo client of their own. The
// screen is axe-clean at 360 and 1024 px, with a screenshot of each.

import assert from "node:assert/strict";
import { after, afterEach, test } from "node:test";
import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";

import { axeViolations, openBrowser, screenshot, SMALL_PHONE, TABLET } from "./browser.mjs";
import { Relay, waitFor } from "./relay.mjs";
import { go, signIn, waitForTexts, waitUntilSynced } from "./screens.mjs";

const WIDTHS = [360, 1024];
const PAIR_NOTE = "Ask how the new seating plan is going before we talk about pacing.";
const LESSON_NOTE = "Not for the debrief yet: the group at the back lost the thread at 09:20.";

let relay;
let browsers = [];
const repos = [];

afterEach(async () => {
  for (const repo of repos.splice(0)) await repo.shutdown();
  for (const browser of browsers) await browser.close();
  await relay?.dispose();
  browsers = [];
  relay = undefined;
});

after(() => {
  // automerge-repo's `Repo.shutdown()` leaves a throttled timer behind for a document it was told
  // is unavailable (see tests/js/automerge_repo_peers.test.mjs); once everything of ours is closed,
  // end the process, keeping the exit code node:test set.
  setTimeout(() => process.exit(), 1000).unref();
});

/** What the relay answers `person` when their own automerge-repo client asks for document `id`. */
async function askOverSync(person, id) {
  const token = await relay.admin("token", "--person", person.email);
  const repo = new Repo({ network: [new WebSocketClientAdapter(`${relay.syncUrl}?token=${token}`)] });
  repos.push(repo);
  await waitFor(() => repo.peers.length > 0, { what: `${person.email}'s client to connect` });
  return repo.find(`automerge:${id}`).then(
    // The schema number is a bigint to automerge's JavaScript.
    (handle) => `found: ${JSON.stringify(handle.doc(), (_, v) => (typeof v === "bigint" ? String(v) : v))}`,
    (error) => `refused: ${error.message}`,
  );
}

/** What the relay's API answers `page`'s person: the documents it lists, and a claim of `id`. */
async function askOverApi(page, id, pairId) {
  return page.evaluate(
    async ({ id, pairId }) => {
      const listed = await (await fetch("/api/documents")).json();
      const claim = await fetch("/api/documents", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ id, audience: { kind: "pair", pair_id: pairId } }),
      });
      return { listed: listed.map((d) => d.id), claimStatus: claim.status };
    },
    { id, pairId },
  );
}

test("a mentor's private notes are written from the pair and an observation, and neither the associate nor the coordinator can open them", async (t) => {
  relay = await Relay.start();
  const program = await relay.setUpProgram();
  const [tablet, phone, laptop] = await Promise.all([openBrowser(TABLET), openBrowser(SMALL_PHONE), openBrowser(TABLET)]);
  browsers = [tablet, phone, laptop];
  const [mentor, associate, coordinator] = [tablet.page, phone.page, laptop.page];
  await Promise.all([
    signIn(mentor, relay.appUrl, program.mentor, program.password),
    signIn(associate, relay.appUrl, program.associate, program.password),
    signIn(coordinator, relay.appUrl, program.coordinator, program.password),
  ]);

  // From the pair: the mentor's own tab, and the promise said first.
  await mentor.getByRole("link", { name: program.pairName }).click();
  await mentor.getByRole("heading", { level: 1, name: program.pairName }).waitFor();
  const pairHash = await mentor.evaluate(() => location.hash);
  const pairId = decodeURIComponent(pairHash.split("/")[2]);
  await mentor.getByRole("link", { name: "Private notes (only you)" }).click();
  await mentor.getByRole("heading", { level: 1, name: `Private notes on ${program.pairName}` }).waitFor();
  const promise = mentor.getByRole("note");
  assert.match(await promise.innerText(), new RegExp(`^Only you see these notes\\. ${program.associate.name} and the program's coordinators never do`));
  await mentor.getByRole("button", { name: "Write a private note" }).click();
  await mentor.waitForFunction(() => document.activeElement?.tagName === "TEXTAREA");
  await mentor.keyboard.type(PAIR_NOTE);
  await waitUntilSynced(mentor);
  const historyHref = await mentor.getByRole("link", { name: "History" }).getAttribute("href");
  const notesId = /^#\/doc\/([^/]+)\/history$/.exec(historyHref)?.[1];
  assert.ok(notesId, `the notes' history link names their document: ${historyHref}`);

  const problems = [];
  const check = async (page, name) => {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 800 });
      await screenshot(page, name, width);
      for (const v of await axeViolations(page)) {
        const line = `${name} at ${width} px: ${v.impact} ${v.id} (${v.help}): ${v.targets.join(", ")}`;
        if (v.impact === "serious" || v.impact === "critical") problems.push(line);
        else t.diagnostic(line);
      }
    }
    await page.setViewportSize(TABLET);
  };
  await check(mentor, "private-notes-pair");

  // From an observation: its own notes, listed on the pair's notes too.
  await go(mentor, pairHash);
  await mentor.getByRole("button", { name: "New observation" }).click();
  await mentor.waitForFunction(() => /^#\/doc\/[^/]+$/.test(location.hash));
  const observationId = (await mentor.evaluate(() => location.hash)).split("/")[2];
  await mentor.getByRole("link", { name: "Private notes on this observation" }).click();
  await mentor.getByRole("heading", { level: 1, name: /^Private notes on the observation of \d{4}-\d{2}-\d{2} · no subject$/ }).waitFor();
  assert.equal(mentor.url().split("#")[1], `/doc/${observationId}/private`);
  await mentor.getByRole("button", { name: "Write a private note" }).click();
  await mentor.waitForFunction(() => document.activeElement?.tagName === "TEXTAREA");
  await mentor.keyboard.type(LESSON_NOTE);
  // A second note: the newest is shown first.
  await mentor.getByRole("button", { name: "Add a private note" }).click();
  await mentor.waitForFunction(() => document.activeElement?.tagName === "TEXTAREA" && document.activeElement.value === "");
  await mentor.keyboard.type("Bring the exit tickets.");
  const boxes = mentor.getByRole("textbox", { name: /^Private note from / });
  assert.deepEqual(await boxes.evaluateAll((els) => els.map((e) => e.value)), ["Bring the exit tickets.", LESSON_NOTE]);
  await waitUntilSynced(mentor);
  await check(mentor, "private-notes-observation");
  await go(mentor, `${pairHash}/private`);
  await mentor.getByRole("heading", { level: 2, name: "Private notes on observations" }).waitFor();
  await mentor.getByText("2 private notes").waitFor();

  // Reloaded (and so read back from the device's storage), the notes are still the mentor's.
  await mentor.reload();
  await waitForTexts(mentor, [PAIR_NOTE]);

  // The associate and the coordinator: nothing in the app, the API or sync.
  // The associate sits in the pair, so her claim finds the id taken (409); the coordinator does
  // not, so hers is refused before that (403). Neither learns anything of the notes.
  for (const [page, person, claimStatus] of [[associate, program.associate, 409], [coordinator, program.coordinator, 403]]) {
    const who = person.email;
    if (page === associate) {
      await page.getByRole("link", { name: program.pairName }).click();
      await page.getByRole("heading", { level: 1, name: program.pairName }).waitFor();
      assert.equal(await page.getByRole("link", { name: /Private notes/ }).count(), 0, `${who} is not offered private notes`);
      await go(page, `${pairHash}/private`);
      await page.getByText("A mentor's private notes are seen by that mentor alone").waitFor();
    }
    await go(page, `#/doc/${notesId}/history`);
    await page.getByText("the school's server does not have it for you").waitFor({ timeout: 30_000 });
    const text = await page.locator("body").innerText();
    assert.ok(!text.includes(PAIR_NOTE) && !text.includes(LESSON_NOTE), `${who}'s page shows none of the notes`);

    const api = await askOverApi(page, notesId, pairId);
    assert.ok(!api.listed.includes(notesId), `${who}'s document list leaves the notes out`);
    assert.equal(api.claimStatus, claimStatus, `${who} cannot claim the notes for the pair`);
    const sync = await askOverSync(person, notesId);
    assert.match(sync, /^refused: .*unavailable/i, `${who} asking over sync: ${sync}`);
  }
  await screenshot(associate, "private-notes-refused-associate", 360);
  // The mentor's own client, asked the same way, gets them: the refusal above is the audience rule.
  assert.match(await askOverSync(program.mentor, notesId), /^found: .*seating plan/);

  assert.deepEqual(problems, []);
  assert.deepEqual(tablet.errors, []);
  // The only errors on the others' pages are the browser reporting the refused claims above.
  assert.deepEqual([...phone.errors, ...laptop.errors], [
    "console: Failed to load resource: the server responded with a status of 409 (Conflict)",
    "console: Failed to load resource: the server responded with a status of 403 (Forbidden)",
  ]);
});
