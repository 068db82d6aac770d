// A mentor discards a draft observation: it leaves the list at once with Undo offered, Undo
// brings it back with its private notes, and once the undo time is over the draft and its notes
// leave this device, the mentor's second device and the relay's database (a purge: no chunk left,
// a tombstone). Offline, the draft leaves the device at once and the relay when the device is
// back. At 1024 and 360 px, axe-clean, with screenshots.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterEach, test } from "node:test";

import { axeViolations, openBrowser, screenshot, SMALL_PHONE, TABLET } from "./browser.mjs";
import { DEMO, Relay, waitFor } from "./relay.mjs";
import { addNote, openPair, signIn, waitForTexts, waitUntilSynced } from "./screens.mjs";

let relay;
let browsers = [];

afterEach(async () => {
  for (const browser of browsers) await browser.close();
  await relay?.dispose();
  browsers = [];
  relay = undefined;
});

/** One answer of the relay's SQLite database, read beside the running relay. */
function sql(query) {
  return execFileSync("sqlite3", [join(relay.dataDir, "tandem.sqlite3"), query], { encoding: "utf8" }).trim();
}

const privateIds = () => new Set(sql("SELECT id FROM documents WHERE audience = 'private'").split("\n").filter(Boolean));

/** Whether the relay still stores anything of document `id`, and whether it holds its tombstone. */
function onRelay(id) {
  return {
    chunks: Number(sql(`SELECT count(*) FROM chunks WHERE key LIKE '${id}/%'`)),
    tombstone: sql(`SELECT count(*) FROM purged_documents WHERE id = '${id}'`) === "1",
  };
}

/** Whether this device's IndexedDB (documents and settings) holds `marker` anywhere, as bytes. */
function deviceHolds(page, marker) {
  return page.evaluate(
    (marker) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("tandem");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const read = db.transaction(["documents"], "readonly");
          const documents = read.objectStore("documents").getAll();
          read.oncomplete = () => {
            const latin1 = new TextDecoder("latin1");
            db.close();
            resolve(documents.result.some((record) => latin1.decode(record.binary).includes(marker)));
          };
          read.onerror = () => reject(read.error);
        };
      }),
    marker,
  );
}

/** On the pair page: starts a draft with a running note and a subject; returns its id. */
async function startDraft(page, subject, note) {
  await page.getByRole("button", { name: "New observation" }).click();
  await page.waitForFunction(() => /^#\/doc\/[^/]+$/.test(location.hash));
  await addNote(page, note);
  await page.getByLabel("Subject").fill(subject);
  await page.getByLabel("Subject").blur();
  return page.evaluate(() => location.hash.slice("#/doc/".length));
}

async function expectAxeClean(page, where) {
  const problems = (await axeViolations(page)).map((v) => `${v.impact} ${v.id} (${v.help}): ${v.targets.join(", ")}`);
  assert.deepEqual(problems, [], where);
}

test("a discarded draft comes back with Undo, then leaves both of the mentor's devices and the relay", async () => {
  relay = await Relay.start({ demo: true });
  const [tablet, second] = await Promise.all([openBrowser(TABLET), openBrowser(SMALL_PHONE)]);
  browsers = [tablet, second];
  const mentor = tablet.page;
  await Promise.all([signIn(mentor, relay.appUrl, DEMO.mentor), signIn(second.page, relay.appUrl, DEMO.mentor)]);
  const pairHash = await openPair(mentor);
  await waitUntilSynced(mentor);
  const before = privateIds();

  const marker = "Discard-marker-7c41 counted the cubes twice";
  const privately = "Discard-notes-3b9e ask about the cubes privately";
  const draft = await startDraft(mentor, "Discarded maths", marker);
  await mentor.getByRole("link", { name: "Private notes on this observation" }).click();
  await mentor.getByRole("button", { name: "Write a private note" }).click();
  await mentor.waitForFunction(() => document.activeElement?.tagName === "TEXTAREA");
  await mentor.keyboard.type(privately);
  await waitUntilSynced(mentor);
  await mentor.goBack();
  await waitForTexts(mentor, [marker]);
  await waitUntilSynced(mentor);
  await waitFor(() => privateIds().size === before.size + 2, { what: "the draft and its notes on the relay" });
  const made = [...privateIds()].filter((id) => !before.has(id));
  assert.ok(made.includes(draft), "the draft is one of the two");

  // The mentor's second device (a phone) has the draft too.
  await second.page.reload();
  await openPair(second.page);
  const secondLink = second.page.getByRole("link", { name: /Discarded maths · draft/ });
  await secondLink.waitFor({ timeout: 60_000 });
  await waitFor(() => deviceHolds(second.page, marker), { what: "the draft stored on the second device" });

  await screenshot(mentor, "discard-draft-page", 1024, 768);
  await expectAxeClean(mentor, "the draft with its Discard button at 1024 px");
  await mentor.setViewportSize({ width: 360, height: 800 });
  await screenshot(mentor, "discard-draft-page", 360, 800);
  await mentor.setViewportSize({ width: TABLET.width, height: TABLET.height });

  // Discarded from its page: the pair page, the draft gone from the list, Undo offered.
  await mentor.getByRole("button", { name: "Discard draft" }).click();
  await mentor.waitForFunction((hash) => location.hash === hash, pairHash);
  const toast = mentor.locator(".undo-toast");
  await toast.getByText("Draft discarded.").waitFor();
  const link = mentor.getByRole("link", { name: /Discarded maths · draft/ });
  assert.equal(await link.count(), 0, "no longer listed");
  await expectAxeClean(mentor, "the pair page with Undo at 1024 px");
  await screenshot(mentor, "discard-undo", 1024, 768);
  await mentor.setViewportSize({ width: 360, height: 800 });
  await expectAxeClean(mentor, "the pair page with Undo at 360 px");
  await screenshot(mentor, "discard-undo", 360, 800);
  await mentor.setViewportSize({ width: TABLET.width, height: TABLET.height });

  // Undo: back in the list, with its note and its private notes, untouched.
  await toast.getByRole("button", { name: "Undo" }).click();
  await link.waitFor();
  await toast.waitFor({ state: "detached" });
  await link.click();
  await waitForTexts(mentor, [marker]);
  await mentor.getByRole("link", { name: "Private notes on this observation" }).click();
  assert.deepEqual(
    await mentor.getByRole("textbox", { name: /^Private note from / }).evaluateAll((els) => els.map((e) => e.value)),
    [privately],
  );
  await mentor.goto(new URL(pairHash, relay.appUrl).href);
  await mentor.getByRole("heading", { level: 2, name: "Observations" }).waitFor();
  await expectAxeClean(mentor, "the pair page with a draft's Discard button at 1024 px");
  await screenshot(mentor, "discard-card", 1024, 768);
  await mentor.setViewportSize({ width: 360, height: 800 });
  await screenshot(mentor, "discard-card", 360, 800);
  await mentor.setViewportSize({ width: TABLET.width, height: TABLET.height });

  // Discarded again, from its card this time, and the undo time left to run out.
  await mentor.getByRole("button", { name: /^Discard draft .*Discarded maths · draft$/ }).click();
  await toast.getByText("Draft discarded.").waitFor();
  assert.equal(await link.count(), 0);
  await toast.waitFor({ state: "detached", timeout: 20_000 });

  // Gone from the relay: nothing of the draft or its notes stored, each id tombstoned.
  await waitFor(() => made.every((id) => onRelay(id).chunks === 0 && onRelay(id).tombstone), {
    timeoutMs: 20_000,
    what: "the relay to purge the draft and its notes",
  });
  await waitFor(async () => !(await deviceHolds(mentor, marker)) && !(await deviceHolds(mentor, privately)), {
    what: "the draft and its notes to leave this device's IndexedDB",
  });
  await mentor.reload();
  await mentor.getByRole("heading", { level: 2, name: "Observations" }).waitFor();
  await waitUntilSynced(mentor);
  assert.equal(await link.count(), 0, "a reload does not bring it back");
  assert.ok(!(await deviceHolds(mentor, marker)), "nor its bytes");

  // The second device is told (its next look at the relay) and deletes it too.
  await second.page.reload();
  await second.page.getByRole("heading", { level: 2, name: "Observations" }).waitFor();
  await waitFor(async () => !(await deviceHolds(second.page, marker)), {
    timeoutMs: 30_000,
    what: "the draft to leave the second device",
  });
  assert.equal(await secondLink.count(), 0, "not listed on the second device");
});

test("a draft discarded offline leaves the device at once and the relay once the device is back", async () => {
  relay = await Relay.start({ demo: true });
  const phone = await openBrowser(SMALL_PHONE);
  browsers = [phone];
  const mentor = phone.page;
  await signIn(mentor, relay.appUrl, DEMO.mentor);
  const pairHash = await openPair(mentor);
  const marker = "Offline-discard-9f20 the fractions wall";
  const draft = await startDraft(mentor, "Offline fractions", marker);
  await waitUntilSynced(mentor);
  await waitFor(() => onRelay(draft).chunks > 0, { what: "the draft stored on the relay" });

  // In the classroom, no network: discarded, the undo time runs out, the device forgets it.
  await phone.context.setOffline(true);
  await mentor.getByRole("button", { name: "Discard draft" }).click();
  await mentor.waitForFunction((hash) => location.hash === hash, pairHash);
  // The toast stays while a pointer rests on it; on this narrow page it opens where the button was.
  await mentor.mouse.move(0, 0);
  await mentor.locator(".undo-toast").waitFor({ state: "detached", timeout: 20_000 });
  await waitFor(async () => !(await deviceHolds(mentor, marker)), { what: "the draft to leave the offline device" });
  assert.ok(onRelay(draft).chunks > 0, "the relay still has it while the device is offline");
  assert.equal(await mentor.getByRole("link", { name: /Offline fractions/ }).count(), 0);

  // Back on the school network: the relay removes it for good.
  await phone.context.setOffline(false);
  await waitFor(() => onRelay(draft).chunks === 0 && onRelay(draft).tombstone, {
    timeoutMs: 45_000,
    what: "the relay to purge the draft discarded offline",
  });
  await mentor.reload();
  await mentor.getByRole("heading", { level: 2, name: "Observations" }).waitFor();
  assert.equal(await mentor.getByRole("link", { name: /Offline fractions/ }).count(), 0, "it does not come back");
});
