// A JavaScript automerge-repo device, started by the Rust end-to-end tests (not a node:test file):
// `node peer_for_rust_tests.mjs <sync url with token> <automerge url> <note>` opens the document,
// prints its notes as JSON on one line, appends <note>, then waits until a note "reply to <note>"
// arrives from elsewhere, prints "replied" and exits. Exits 1 with a message on stderr after 30 s.
import { Repo } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";

const [syncUrl, docUrl, note] = process.argv.slice(2);
const timeout = setTimeout(() => {
  console.error("timed out");
  process.exit(1);
}, 30_000);

const repo = new Repo({ network: [new WebSocketClientAdapter(syncUrl)] });
const handle = await repo.find(docUrl);
console.log(JSON.stringify(handle.doc().notes.map(String)));
handle.change((doc) => doc.notes.push(note));
await new Promise((resolve) => {
  const check = () => handle.doc().notes.map(String).includes(`reply to ${note}`) && resolve();
  handle.on("change", check);
  check();
});
console.log("replied");
clearTimeout(timeout);
await repo.shutdown();
// automerge-repo 2.5 leaves timers behind after `shutdown()` (see automerge_repo_peers.test.mjs).
process.exit(0);
