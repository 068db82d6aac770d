// Our native client (`tandem sync`, the tandem-sync engine over tokio-tungstenite) and the
// JavaScript automerge-repo exchange documents through our relay, in both directions: each reads
// what the other wrote, in the other's own encoding of the document.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";
import { Relay, waitFor } from "../browser/relay.mjs";

let relay;
let token;
const repos = [];

before(async () => {
  relay = await Relay.start();
  token = await relay.token();
});

after(async () => {
  for (const repo of repos.splice(0)) await repo.shutdown();
  await relay.dispose();
  // automerge-repo 2.5 leaves timers behind after `shutdown()` (see automerge_repo_peers.test.mjs).
  setTimeout(() => process.exit(), 1000).unref();
});

function jsPeer() {
  const repo = new Repo({ network: [new WebSocketClientAdapter(`${relay.syncUrl}?token=${token}`)] });
  repos.push(repo);
  return repo;
}

/** Runs `tandem sync --relay <relay> --token <token> ...args`; resolves with its standard output. */
function tandemSync(...args) {
  return new Promise((resolve, reject) => {
    execFile(
      process.env.TANDEM_BIN,
      ["sync", "--relay", relay.syncUrl, "--token", token, "--timeout-secs", "15", ...args],
      { env: { ...process.env, RUST_LOG: "warn" } },
      (error, stdout, stderr) => (error ? reject(new Error(`tandem sync ${args[0]}: ${stderr}`)) : resolve(stdout.trim())),
    );
  });
}

test("a document made by the native client reaches a JavaScript client, and its reply comes back", async () => {
  const url = await tandemSync("create", "--json", JSON.stringify({ title: "Wait time", notes: ["native: calm start"] }));
  assert.match(url, /^automerge:\w+$/);

  const js = jsPeer();
  const handle = await js.find(url);
  assert.deepEqual(handle.doc(), { title: "Wait time", notes: ["native: calm start"] });
  handle.change((doc) => doc.notes.push("js: how long did you wait?"));

  const shown = await waitFor(
    async () => {
      const doc = JSON.parse(await tandemSync("show", url));
      return doc.notes.length === 2 && doc;
    },
    { what: "the native client to see the JavaScript reply" },
  );
  assert.deepEqual(shown, { title: "Wait time", notes: ["native: calm start", "js: how long did you wait?"] });
});

test("a document made by a JavaScript client reaches the native client, and its reply comes back", async () => {
  const js = jsPeer();
  await waitFor(() => js.peers.length > 0, { what: "the JavaScript client to connect" });
  const handle = js.create({ title: "Questioning", notes: ["js: open questions"] });

  // The relay may not have it yet when the native client asks: it then asks the JavaScript client.
  const shown = JSON.parse(await tandemSync("show", handle.url));
  assert.deepEqual(shown, { title: "Questioning", notes: ["js: open questions"] });

  await tandemSync("append", handle.url, "--list", "notes", "--text", "native: try think-pair-share");
  await waitFor(() => handle.doc().notes.length === 2, { what: "the JavaScript client to see the native reply" });
  assert.deepEqual(handle.doc().notes, ["js: open questions", "native: try think-pair-share"]);
});

test("tandem sync fails clearly for a document nobody has and for a relay that is not there", async () => {
  await assert.rejects(tandemSync("show", "automerge:2j9knpCseyhnK8izDmLpGP5WMdZQ"), /has no document automerge:2j9knpCseyhnK8izDmLpGP5WMdZQ/);
  const unreachable = new Promise((resolve, reject) =>
    execFile(process.env.TANDEM_BIN, ["sync", "--relay", "ws://127.0.0.1:1/sync", "show", "automerge:2j9knpCseyhnK8izDmLpGP5WMdZQ"], (error, _stdout, stderr) =>
      error ? reject(new Error(stderr)) : resolve(),
    ),
  );
  await assert.rejects(unreachable, /cannot reach the relay at ws:\/\/127\.0\.0\.1:1\/sync/);
});
