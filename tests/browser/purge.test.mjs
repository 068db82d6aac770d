// Records purged at the end of retention leave the devices too: a phone that held a shared
// observation opens the app after `tandem admin purge` and no longer has a byte of it in
// IndexedDB; a purged person's phone clears itself and shows the sign-in.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { openBrowser, PHONE, screenshot, TABLET } from "./browser.mjs";
import { DEMO, Relay, waitFor } from "./relay.mjs";
import { addNote, openPair, shareObservation, signIn, waitForTexts, waitUntilSynced } from "./screens.mjs";

let relay;
let tablet;
let phone;

afterEach(async () => {
  await tablet?.close();
  await phone?.close();
  await relay?.dispose();
  tablet = phone = relay = undefined;
});

/** Whether this device's IndexedDB (documents and settings) holds `marker` anywhere, as bytes. */
function deviceHolds(page, marker) {
  return page.evaluate(
    (marker) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("tandem");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const read = db.transaction(["documents", "settings"], "readonly");
          const documents = read.objectStore("documents").getAll();
          const settings = read.objectStore("settings").getAll();
          read.oncomplete = () => {
            const latin1 = new TextDecoder("latin1");
            const texts = [
              ...documents.result.map((record) => latin1.decode(record.binary)),
              ...settings.result.map(String),
            ];
            db.close();
            resolve(texts.some((text) => text.includes(marker)));
          };
          read.onerror = () => reject(read.error);
        };
      }),
    marker,
  );
}

test("a purged observation leaves the phone that held it, and a purged person's phone clears itself", async () => {
  relay = await Relay.start({ demo: true });
  [tablet, phone] = await Promise.all([openBrowser(TABLET), openBrowser(PHONE)]);
  await Promise.all([signIn(tablet.page, relay.appUrl, DEMO.mentor), signIn(phone.page, relay.appUrl, DEMO.associate)]);
  const pairHash = await openPair(tablet.page);
  const pairId = pairHash.slice("#/pair/".length);

  // The mentor shares an observation with a marker in a running note; the associate reads it.
  const marker = "Purge-marker-5d1e93 solved the warm-up";
  const mentor = tablet.page;
  await mentor.getByRole("button", { name: "New observation" }).click();
  await mentor.waitForFunction(() => /^#\/doc\/[^/]+$/.test(location.hash));
  await addNote(mentor, marker);
  await mentor.getByLabel("Subject").fill("Purged science");
  await mentor.getByLabel("Subject").blur();
  await shareObservation(mentor, DEMO.associate.name);
  await waitUntilSynced(mentor);

  const associate = phone.page;
  await associate.reload();
  await openPair(associate);
  const link = associate.getByRole("link", { name: /Purged science · shared/ });
  await link.waitFor({ timeout: 60_000 });
  await link.click();
  await waitForTexts(associate, [marker]);
  await waitFor(() => deviceHolds(associate, marker), { what: "the observation stored on the phone" });

  // The phone is put away; the coordinator purges the pair's records beside the running relay.
  await phone.context.close();
  const said = await relay.admin("purge", "--pair", pairId, "--yes");
  assert.match(said, /observation/);

  // The next time the phone opens the app it is told the observation is gone and deletes it.
  await phone.relaunch();
  const reopened = phone.page;
  await reopened.goto(new URL(pairHash, relay.appUrl).href);
  await waitFor(async () => !(await deviceHolds(reopened, marker)), {
    timeoutMs: 30_000,
    what: "the purged observation to leave the phone's IndexedDB",
  });
  await reopened.getByRole("heading", { level: 2, name: "Observations" }).waitFor();
  assert.equal(await reopened.getByRole("link", { name: /Purged science/ }).count(), 0);
  assert.equal(await reopened.getByLabel("Password").count(), 0, "a pair purge leaves the associate signed in");
  await screenshot(reopened, "purged-pair-phone", 390, 844);

  // Purging the associate herself: her phone learns the account is gone, clears everything it
  // kept, and shows the sign-in.
  await relay.admin("purge", "--person", DEMO.associate.email, "--yes");
  await reopened.reload();
  await reopened.getByLabel("Password").waitFor({ timeout: 30_000 });
  await waitFor(async () => !(await deviceHolds(reopened, DEMO.associate.email)), {
    what: "the purged person's account to leave the phone",
  });
  await screenshot(reopened, "purged-person-phone", 390, 844);
});
