// Real automerge-repo peers we did not write (the JavaScript library from npm) syncing through our
// relay: the relay must speak automerge-repo's WebSocket protocol v1 exactly.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";
import { Relay, waitFor } from "../browser/relay.mjs";

let relay;
let token;
const repos = [];

before(async () => {
  relay = await Relay.start();
  // One person on several devices: /sync needs their access token in the URL.
  token = await relay.token();
});

/** Shuts down every client made so far. */
async function shutdownPeers() {
  for (const repo of repos.splice(0)) await repo.shutdown();
}

after(async () => {
  await shutdownPeers();
  await relay.dispose();
  // automerge-repo 2.5's `Repo.shutdown()` leaves its timers behind: a peer the relay asked for a
  // document it lacks holds an unavailable handle whose throttled sync waits up to 120 s for it to
  // become ready. Once everything above is closed, nothing of ours is left to wait for, so end the
  // process (keeping the exit code node:test set) if those timers are all that keep it alive.
  setTimeout(() => process.exit(), 1000).unref();
});

function jsPeer(url = `${relay.syncUrl}?token=${token}`) {
  const repo = new Repo({ network: [new WebSocketClientAdapter(url)] });
  repos.push(repo);
  return repo;
}

test("two JavaScript automerge-repo clients sync a document through the relay", async () => {
  const mentor = jsPeer();
  const associate = jsPeer();
  // Both devices are online. (A device the relay has never heard of cannot be asked for a document.)
  await waitFor(() => mentor.peers.length > 0 && associate.peers.length > 0, { what: "both to connect" });
  // The associate opens the link at once: its request may reach the relay before the mentor's first
  // sync does, and the relay must then ask the mentor rather than answer "unavailable".
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

  // Every device goes away before the restart: the document must come from the relay's storage.
  // (It also keeps the test process able to exit: a WebSocketClientAdapter whose socket the
  // restart closes schedules a reconnect that its later `disconnect()` does not cancel.)
  await shutdownPeers();
  await relay.restart();

  const late = jsPeer();
  const found = await late.find(handle.url);
  assert.equal(found.doc().title, "Wait time after questions");
});
