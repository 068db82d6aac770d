// Real automerge-repo peers we did not write (the JavaScript library from npm) syncing through our
// relay: the relay must speak automerge-repo's WebSocket protocol v1 exactly.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";
import { Relay } from "../browser/relay.mjs";

/** Polls `check` until it returns a truthy value, or fails after `timeoutMs`. */
async function waitFor(check, { timeoutMs = 15000, what = "a condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

let relay;
let token;
const repos = [];

before(async () => {
  relay = await Relay.start();
  // One person on several devices: /sync needs their access token in the URL.
  token = await relay.token();
});

after(async () => {
  for (const repo of repos) await repo.shutdown();
  await relay.dispose();
});

function jsPeer(url = `${relay.syncUrl}?token=${token}`) {
  const repo = new Repo({ network: [new WebSocketClientAdapter(url)] });
  repos.push(repo);
  return repo;
}

test("two JavaScript automerge-repo clients sync a document through the relay", async () => {
  const mentor = jsPeer();
  const associate = jsPeer();
  const handle = mentor.create({ notes: ["Students entered calmly"] });
  handle.change((doc) => doc.notes.push("Clear learning target on the board"));

  const theirs = await associate.find(handle.url);
  await waitFor(() => theirs.doc()?.notes?.length === 2, { what: "the associate to receive both notes" });
  assert.deepEqual(theirs.doc().notes, ["Students entered calmly", "Clear learning target on the board"]);

  theirs.change((doc) => doc.notes.push("Question: how did you choose the groups?"));
  await waitFor(() => handle.doc().notes.length === 3, { what: "the mentor to receive the reply" });
});

test("a document the relay has never seen is reported unavailable to a JavaScript client", async () => {
  const lonely = jsPeer();
  await assert.rejects(lonely.find("automerge:2j9knpCseyhnK8izDmLpGP5WMdZQ"), /unavailable/i);
});

test("a document survives a relay restart and reaches a client that joins later", async () => {
  const writer = jsPeer();
  const handle = writer.create({ title: "Wait time after questions" });
  // Let the relay store it: another client that finds it proves it reached the relay.
  const check = jsPeer();
  await waitFor(async () => (await check.find(handle.url)).doc()?.title, { what: "the relay to have it" });

  await relay.restart();

  const late = jsPeer();
  const found = await late.find(handle.url);
  assert.equal(found.doc().title, "Wait time after questions");
});
