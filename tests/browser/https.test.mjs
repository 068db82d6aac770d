// The app on the school network, opened by a host name as a tablet opens it: over https (the relay
// serving a certificate from `tandem admin self-signed`, whose CA the browser trusts) it installs
// for offline use; over plain http it says plainly that it cannot.
//
// Chromium resolves tandem.school.test to the relay with --host-resolver-rules. The CA is trusted
// for real, not by ignoring certificate errors: it is added to the NSS database Chromium reads on
// Linux ($HOME/.pki/nssdb, with `certutil` from Debian's libnss3-tools), and Chromium runs with
// that HOME.

import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { afterEach, test } from "node:test";
import { chromium } from "playwright-core";

import { reportCspViolations } from "./browser.mjs";
import { DEMO } from "./relay.mjs";
import { signIn } from "./screens.mjs";

const run = promisify(execFile);
const HOST = "tandem.school.test";
const INSECURE = "Tandem cannot work offline on this device.";

const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  `--host-resolver-rules=MAP ${HOST} 127.0.0.1`,
];

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests with \`cargo xtask test\``);
  return value;
}

let cleanups = [];
/** Content-Security-Policy violations reported by the test's pages (`launch`). */
let violations = [];

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  cleanups = [];
  const seen = violations;
  violations = [];
  assert.deepEqual(seen, [], "Content-Security-Policy violations");
});

async function tempDir(prefix) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** `tandem serve --demo` with `args`; resolves once it printed its address. `stop()` ends it. */
async function serve(args) {
  const data = await tempDir("tandem-https-data-");
  const child = spawn(
    required("TANDEM_BIN"),
    ["serve", "--addr", "127.0.0.1:0", "--data", data, "--web-dir", required("TANDEM_WEB_DIR"), "--demo", ...args],
    { env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const stderr = [];
  createInterface({ input: child.stderr }).on("line", (line) => stderr.push(line));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  cleanups.push(stop);
  const url = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      const ready = /^Tandem is running at (https?):\/\/127\.0\.0\.1:(\d+)\/$/.exec(line.trim());
      if (ready) resolve(`${ready[1]}://${HOST}:${ready[2]}/`);
    });
    exited.then((code) => reject(new Error(`the relay exited (${code}) before it was ready:\n${stderr.join("\n")}`)));
  });
  return { url, stop };
}

/** Headless Chromium whose HOME has an NSS database trusting `caFile` (if given). */
async function launch(caFile) {
  const home = await tempDir("tandem-https-home-");
  if (caFile) {
    const nssdb = join(home, ".pki", "nssdb");
    await mkdir(nssdb, { recursive: true });
    await run("certutil", ["-d", `sql:${nssdb}`, "-N", "--empty-password"]);
    await run("certutil", ["-d", `sql:${nssdb}`, "-A", "-t", "C,,", "-n", "Tandem test CA", "-i", caFile]);
  }
  const profile = await tempDir("tandem-https-profile-");
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ARGS,
    env: { ...process.env, HOME: home },
  });
  cleanups.push(() => context.close());
  // Over https the policy is the same; any violation fails the test (checked in afterEach).
  await reportCspViolations(context);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (message) => {
    if (message.text().startsWith("CSP violation") || /Content Security Policy/.test(message.text())) {
      violations.push(message.text());
    }
  });
  return { context, page };
}

test("over https by host name the app installs for offline use, opens signed in without the relay, and its cookie is Secure", async () => {
  const certs = await tempDir("tandem-https-certs-");
  await run(required("TANDEM_BIN"), ["admin", "self-signed", "--host", HOST, "--out", certs]);
  const relay = await serve([
    "--tls-cert",
    join(certs, "tandem-server.pem"),
    "--tls-key",
    join(certs, "tandem-server.key.pem"),
  ]);
  const { context, page } = await launch(join(certs, "tandem-ca.crt"));

  await signIn(page, relay.url, DEMO.mentor);
  assert.equal(await page.evaluate(() => window.isSecureContext), true);
  assert.equal(await page.getByText(INSECURE).count(), 0);
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout: 30_000 });
  const [cookie] = (await context.cookies(relay.url)).filter((c) => c.name === "tandem_session");
  assert.ok(cookie, "signed in with a session cookie");
  assert.equal(cookie.secure, true, "the session cookie is Secure");
  assert.equal(cookie.httpOnly, true);

  // The relay gone and the network off, as at the back of a classroom: the app still opens,
  // signed in.
  await relay.stop();
  await context.setOffline(true);
  await page.reload();
  await page.getByRole("heading", { level: 1, name: "My pairs" }).waitFor();
  assert.equal(await page.getByText(INSECURE).count(), 0);
});

test("over plain http by host name the app says it cannot work offline on this device", async () => {
  const relay = await serve([]);
  const { page } = await launch();
  await page.goto(new URL("#/signin", relay.url).href);
  assert.equal(await page.evaluate(() => window.isSecureContext), false);
  assert.equal(await page.evaluate(() => "serviceWorker" in navigator), false);
  await page.getByText(INSECURE).waitFor();
  assert.equal(await page.getByText("even without Wi-Fi").count(), 0, "no promise of offline use");

  // Signed in, the app keeps saying so above every screen.
  await signIn(page, relay.url, DEMO.mentor);
  await page.getByRole("note").getByText(INSECURE).waitFor();
  await page.getByText("serve Tandem over https").waitFor();
});
