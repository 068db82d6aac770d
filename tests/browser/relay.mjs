// Starts the real `tandem` relay for browser and JavaScript-peer tests: on a free loopback port, with its own data
// directory, serving the built web app. It can be stopped the way an operator stops it (SIGTERM)
// and started again on the same port, as a device sees a relay go away and come back.
//
// Environment: TANDEM_BIN (the built `tandem` binary) and TANDEM_WEB_DIR (the built web app,
// web/dist); `cargo xtask test` sets both.
//
// `Relay.start({ demo: true })` loads the sample residency (`tandem serve --demo`): the sign-ins it
// prints are in `relay.signIns`, and `DEMO` names the two people of its pair the tests use.

import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const READY = /^Tandem is running at (http:\/\/\S+?)\/?$/;
// "  grace@demo.tandem    Grace Okafor (mentor)", printed on standard error under "Demo mode: ...".
const DEMO_SIGN_IN = /^\s+(\S+@\S+)\s+(.+?) \((\w+)\)$/;
const DEMO_PASSWORD = /^Demo mode: .*password "([^"]+)"/;

/** The demo's pair (server/src/demo.rs): one mentor and one associate who share observations and goals. */
export const DEMO = {
  password: "tandem-demo",
  mentor: { email: "grace@demo.tandem", name: "Grace Okafor" },
  associate: { email: "mei@demo.tandem", name: "Mei Chen" },
  pairName: "Grace Okafor & Mei Chen",
};
const START_TIMEOUT_MS = 30_000;

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the browser tests with \`cargo xtask test\`, or set ${name} yourself`);
  }
  return value;
}

export class Relay {
  #child = null;
  #exited = null;
  #stderr = [];
  #options;

  /**
   * @param {string} dataDir
   * @param {{ demo?: boolean, webDir?: string, args?: string[] }} options
   */
  constructor(dataDir, options = {}) {
    this.dataDir = dataDir;
    this.url = null;
    this.port = 0;
    this.#options = options;
    /** With `demo`: the sign-ins the relay printed, `{ email, name, role }`, and their password. */
    this.signIns = [];
    this.password = null;
  }

  /**
   * Starts a relay on a free port with a fresh data directory.
   *
   * `demo`: load the sample residency (`--demo`). `webDir`: serve the web app from there rather
   * than TANDEM_WEB_DIR (the relay reads the files on every request, so a test may change them
   * while it runs, as a deploy does). `args`: more `tandem serve` flags (`["--invitation-hours", "0.005"]`).
   */
  static async start({ demo = false, webDir, args = [] } = {}) {
    const relay = new Relay(await mkdtemp(join(tmpdir(), "tandem-browser-test-")), { demo, webDir, args });
    await relay.#spawn(0);
    return relay;
  }

  /** The web app's address (the relay serves it at its root). */
  get appUrl() {
    return this.url;
  }

  /** The automerge-repo WebSocket endpoint, `ws://127.0.0.1:PORT/sync`. */
  get syncUrl() {
    return `ws://127.0.0.1:${this.port}/sync`;
  }

  get running() {
    return this.#child !== null;
  }

  async #spawn(port) {
    const webDir = this.#options.webDir ?? required("TANDEM_WEB_DIR");
    const args = ["serve", "--addr", `127.0.0.1:${port}`, "--data", this.dataDir, "--web-dir", webDir];
    if (this.#options.demo) args.push("--demo");
    args.push(...(this.#options.args ?? []));
    const child = spawn(required("TANDEM_BIN"), args, {
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    this.#stderr = [];
    this.signIns = [];
    this.#exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    createInterface({ input: child.stderr }).on("line", (line) => {
      this.#stderr.push(line);
      if (process.env.TANDEM_TEST_VERBOSE) console.error(`[relay] ${line}`);
      if (!this.#options.demo) return;
      const password = DEMO_PASSWORD.exec(line);
      if (password) this.password = password[1];
      const signIn = DEMO_SIGN_IN.exec(line);
      if (signIn) this.signIns.push({ email: signIn[1], name: signIn[2], role: signIn[3] });
    });

    const lines = createInterface({ input: child.stdout });
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the relay did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      lines.on("line", (line) => {
        const ready = READY.exec(line.trim());
        if (ready) {
          clearTimeout(timer);
          resolve(ready[1]);
        }
      });
      this.#exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`the relay exited (code ${code}, signal ${signal}) before it was ready:\n${this.#stderr.join("\n")}`));
      });
    });
    this.url = `${url}/`;
    this.port = Number(new URL(this.url).port);
    if (this.#options.demo) {
      // The sign-ins go to standard error before the address goes to standard output; the two
      // pipes are read independently, so wait for the pair's two lines.
      const printed = (email) => this.signIns.some((s) => s.email === email);
      await waitFor(() => printed(DEMO.mentor.email) && printed(DEMO.associate.email), {
        timeoutMs: 5_000,
        what: "the relay to print the demo sign-ins",
      });
    }
  }

  /** Stops the relay with SIGTERM and waits until the process has exited. */
  async stop() {
    if (!this.#child) return;
    this.#child.kill("SIGTERM");
    const { code, signal } = await this.#exited;
    this.#child = null;
    if (code !== 0 && signal !== "SIGTERM") {
      throw new Error(`the relay did not stop cleanly (code ${code}, signal ${signal}):\n${this.#stderr.join("\n")}`);
    }
  }

  /** Starts the relay again on the same port with the same data. */
  async restart() {
    await this.stop();
    await this.#spawn(this.port);
  }

  /**
   * An access token for `email` (a mentor of the program `test`), made with `tandem admin`: /sync
   * needs one, as `?token=`.
   */
  async token(email = "js-peer@test.example") {
    await this.admin("create-program", "--id", "test", "--name", "Test residency").catch(() => {});
    await this.admin("add-person", "--email", email, "--name", email, "--program", "test", "--role", "mentor").catch((e) => {
      if (!/already exists/.test(e.message)) throw e;
    });
    return this.admin("token", "--person", email);
  }

  /**
   * Runs `tandem admin ARGS` against this relay's data directory, as a coordinator would beside
   * the running relay; `stdin` is written to its standard input (a password for `--password-stdin`).
   * Resolves with what it printed, trimmed.
   */
  admin(...args) {
    const options = typeof args.at(-1) === "object" ? args.pop() : {};
    return new Promise((resolve, reject) => {
      const child = execFile(required("TANDEM_BIN"), ["admin", "--data", this.dataDir, ...args], (error, stdout, stderr) =>
        error ? reject(new Error(`tandem admin ${args.join(" ")}: ${stderr}`)) : resolve(stdout.trim()),
      );
      child.stdin.end(options.stdin ?? "");
    });
  }

  /**
   * A program set up exactly as the README's "Set up a program" shows, with `tandem admin` only (no
   * demo): a coordinator, a mentor and an associate who are paired. Resolves with those people
   * (`{ email, name, id }`) and their password.
   */
  async setUpProgram() {
    const password = "a long test password";
    await this.admin("create-program", "--id", "north", "--name", "North residency");
    const person = async (email, name, role) => {
      const id = await this.admin("add-person", "--email", email, "--name", name, "--program", "north", "--role", role, "--password-stdin", { stdin: `${password}\n` });
      return { email, name, id };
    };
    const coordinator = await person("coord@school.example", "Dana Reyes", "coordinator");
    const mentor = await person("mentor@school.example", "Grace Hopper", "mentor");
    const associate = await person("associate@school.example", "Mei Okonkwo", "associate");
    await this.admin("add-pair", "--program", "north", "--mentor", mentor.email, "--associate", associate.email);
    return { password, coordinator, mentor, associate, pairName: `${mentor.name} & ${associate.name}` };
  }

  /** Stops the relay and deletes its data directory. */
  async dispose() {
    await this.stop().catch(() => this.#child?.kill("SIGKILL"));
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

/** Polls `check` until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor(check, { timeoutMs = 15000, what = "a condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
