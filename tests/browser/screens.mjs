// The app's screens as the tests reach them: by role and accessible name, following the DOM
// contract the web app implements (hash routes, labelled fields, `role="status"` sync states).
// One place to change when a name changes.

import { openBrowser, PHONE, TABLET } from "./browser.mjs";
import { DEMO } from "./relay.mjs";

/** How long sync may take after a relay comes back (reconnect backoff included). */
export const SYNC_TIMEOUT_MS = 60_000;

// The contract's texts. While the device has no connection the app may add " · offline".
export const STATUS_TEXT = {
  saving: /^Saving…( · offline)?$/,
  saved: /^Saved on this device · not yet synced( · offline)?$/,
  synced: /^Synced to school at \d{1,2}:\d{2}$/,
};

/** The app-wide sync status in the header. */
export const appStatus = (page) => page.locator("p.sync-status[role=status]");

/** The open document's own sync status. */
export const docStatus = (page) => page.locator("p.doc-status[role=status]");

/** Waits until `status` (appStatus or docStatus) is in `state` and reads the contract's text. */
export async function waitForState(status, state, { timeout = 30_000 } = {}) {
  const page = status.page();
  await status
    .and(page.locator(`[data-state="${state}"]`))
    .filter({ hasText: STATUS_TEXT[state] })
    .waitFor({ timeout })
    .catch(async (error) => {
      const now = await status.evaluateAll((els) => els.map((e) => `${e.dataset.state}: "${e.innerText.trim()}"`));
      throw new Error(`status never became "${state}" (${STATUS_TEXT[state]}); it is ${now.join(", ") || "absent"}: ${error.message.split("\n")[0]}`);
    });
}

/** Waits until both the app and (when a document is open) the document say "synced". */
export async function waitUntilSynced(page, { timeout = SYNC_TIMEOUT_MS } = {}) {
  await waitForState(appStatus(page), "synced", { timeout });
  if (await docStatus(page).count()) await waitForState(docStatus(page), "synced", { timeout });
}

/** Waits until what was just typed is stored on the device and not yet synced. */
export async function waitUntilSavedNotSynced(page) {
  await waitForState(appStatus(page), "saved");
  if (await docStatus(page).count()) await waitForState(docStatus(page), "saved");
}

/**
 * On a draft observation, shares it with `associateName` through the confirmation dialog and
 * waits until the page has moved to the shared copy (sharing ends after the relay has been asked
 * to record the claim, which can be after "Synced"). Returns the shared copy's URL hash.
 */
export async function shareObservation(page, associateName) {
  const draftHash = await page.evaluate(() => location.hash);
  await page.getByRole("button", { name: `Share with ${associateName}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Share now" }).click();
  await page.waitForFunction((draft) => /^#\/doc\/[^/]+$/.test(location.hash) && location.hash !== draft, draftHash);
  return page.evaluate(() => location.hash);
}

/** Opens the app at `url` (the relay's) and signs in as `person` ({ email }). Ends on "My pairs". */
export async function signIn(page, url, person, password = DEMO.password) {
  await page.goto(new URL("#/signin", url).href);
  await page.getByLabel("Email", { exact: true }).fill(person.email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  const pairs = page.getByRole("heading", { level: 1, name: "My pairs" });
  const alert = page.getByRole("alert");
  await pairs.or(alert).first().waitFor();
  if (!(await pairs.isVisible())) throw new Error(`signing in as ${person.email} failed: "${await alert.first().innerText()}"`);
}

/** From "My pairs", opens the demo pair; returns its page's URL hash (`#/pair/{id}`). */
export async function openPair(page) {
  // Right after sign-in the page is still settling (the offline notice, the status line): a tap
  // can land as the link moves and open nothing, and a person taps again. So does this, and says so.
  for (let attempt = 1; ; attempt++) {
    await page.getByRole("link", { name: DEMO.pairName }).first().click();
    const opened = await page
      .waitForFunction(() => /^#\/pair\/[^/]+$/.test(location.hash), null, { timeout: 5_000 })
      .then(() => true, () => false);
    if (opened) break;
    const where = await page.evaluate(() => location.hash);
    if (attempt === 3) throw new Error(`the pair link opened nothing in 3 taps (still at "${where}")`);
    console.log(`openPair: tap ${attempt} on the pair link opened nothing (still at "${where}"); tapping again`);
  }
  await page.getByRole("heading", { level: 1, name: DEMO.pairName }).waitFor();
  await page.getByRole("heading", { level: 2, name: "Observations" }).waitFor();
  return page.evaluate(() => location.hash);
}

/** The observation links on a pair page: named "{date} · {subject} · {status}". */
export function observationLinks(page) {
  return page.getByRole("link", { name: / · .* · / });
}

/**
 * From a pair page, opens the pair's shared observation (the one both people see: not a draft).
 * Returns its URL hash (`#/doc/{id}`).
 */
export async function openSharedObservation(page) {
  const link = observationLinks(page).filter({ hasNotText: /draft/i }).first();
  await link.click();
  await page.waitForFunction(() => /^#\/doc\/[^/]+$/.test(location.hash));
  await docStatus(page).waitFor();
  return page.evaluate(() => location.hash);
}

/** Goes to a hash route of the already loaded app (no reload). */
export async function go(page, hash) {
  await page.evaluate((h) => (location.hash = h), hash);
  await page.waitForFunction((h) => location.hash === h, hash);
}

/** The article of the goal titled `title` (its "Goal title" field holds it). */
export async function goalArticle(page, title) {
  const articles = page.getByRole("article").filter({ has: page.getByLabel("Goal title") });
  await articles.first().waitFor();
  for (const article of await articles.all()) {
    if ((await article.getByLabel("Goal title").inputValue()) === title) return article;
  }
  throw new Error(`no goal titled "${title}" on the goals screen`);
}

/** The demo pair's active goal (server/src/demo.rs via tandem-core's sample). */
export const ACTIVE_GOAL = "Transitions in under a minute";

/**
 * On an observation (mentor): "Add note", which stamps a note now and focuses it, then types
 * `text` into whatever has focus, as a mentor typing fast would.
 */
export async function addNote(page, text) {
  await page.getByRole("button", { name: "Add note" }).click();
  await page.waitForFunction(() => {
    const field = document.activeElement;
    const label = field?.labels?.[0]?.textContent ?? field?.getAttribute("aria-label") ?? "";
    return field?.tagName === "TEXTAREA" && /^Note at \d{1,2}:\d{2}$/.test(label.trim());
  });
  await page.keyboard.type(text);
}

/** Appends `text` at the end of a text field, typed key by key as a person would. */
export async function typeAtEnd(field, text) {
  await field.click();
  await field.press("ControlOrMeta+End");
  await field.pressSequentially(text);
}

/**
 * Waits until every string in `texts` is on the page: in its visible text or in a field's value
 * (a person's own writing is in fields; the other person's is shown as text).
 */
export async function waitForTexts(page, texts, { timeout = SYNC_TIMEOUT_MS } = {}) {
  await page
    .waitForFunction(
      (wanted) => {
        const fields = [...document.querySelectorAll("textarea, input")].map((f) => f.value);
        const all = [document.body.innerText, ...fields].join("\n");
        return wanted.every((t) => all.includes(t));
      },
      texts,
      { timeout },
    )
    .catch(async (error) => {
      const missing = await page.evaluate((wanted) => {
        const fields = [...document.querySelectorAll("textarea, input")].map((f) => f.value);
        const all = [document.body.innerText, ...fields].join("\n");
        return wanted.filter((t) => !all.includes(t));
      }, texts);
      throw new Error(`missing on ${page.url()}: ${JSON.stringify(missing)} (${error.message.split("\n")[0]})`);
    });
}

/**
 * The mentor on a tablet and the associate on a phone, each in their own browser, signed in to the
 * demo `relay` and both on the pair's goals screen with everything synced. The caller closes
 * `tablet` and `phone`.
 */
export async function pairOnTwoDevices(relay) {
  const [tablet, phone] = await Promise.all([openBrowser(TABLET), openBrowser(PHONE)]);
  const [mentor, associate] = [tablet.page, phone.page];
  await Promise.all([signIn(mentor, relay.appUrl, DEMO.mentor), signIn(associate, relay.appUrl, DEMO.associate)]);
  const [pairHash] = await Promise.all([openPair(mentor), openPair(associate)]);
  const goalsHash = `${pairHash}/goals`;
  await Promise.all([go(mentor, goalsHash), go(associate, goalsHash)]);
  await Promise.all([goalArticle(mentor, ACTIVE_GOAL), goalArticle(associate, ACTIVE_GOAL)]);
  await Promise.all([waitUntilSynced(mentor), waitUntilSynced(associate)]);
  return { tablet, phone, mentor, associate, pairHash, goalsHash };
}
