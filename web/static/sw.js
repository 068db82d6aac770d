// Tandem's service worker: keeps the app's code (never documents) so the app opens with no network.
//
// Strategy: cache-first from a cache that belongs to one build. `cargo xtask dist` stamps the build
// id below, so every deploy changes this file; the browser notices (it re-checks sw.js on
// navigation), installs the new worker, which downloads the new build's files into a new cache.
//
// Updates: the very first install takes control at once (skipWaiting + clients.claim), or the
// first page would stay uncontrolled and its first offline reload would fail. A later version
// installs and then waits: the page (index.html) shows "A new version of Tandem is ready." with an
// "Update now" button, which posts {type: "skip-waiting"} here; the new worker then activates,
// deletes the older caches and claims the open pages, which reload once on `controllerchange`.
// Waiting keeps the old build's files under a page that is still running the old build, and never
// swaps code under someone typing.
//
// Why not network-first: the shell's file names are not hashed, so index.html, tandem_web.js and
// tandem_web_bg.wasm of different builds must never be mixed; serving all of them from one build's
// cache guarantees that. And in a classroom with a weak signal, network-first would make every
// page load wait for a timeout before falling back to the cache.
//
// Never intercepted: the sync WebSocket (/sync), the API (/api/), /healthz, and anything that is
// not a GET to this origin. Those go to the network as if there were no service worker.

const CACHE = "tandem-shell-__TANDEM_BUILD_ID__";
const CACHE_PREFIX = "tandem-shell-";

// The app shell, relative to this worker's scope. Installation fails unless every file is cached,
// so a half-downloaded build never replaces a whole one.
const SHELL = [
  "./",
  "index.html",
  "start.js",
  "tandem_web.js",
  "tandem_web_bg.wasm",
  "app.css",
  "manifest.webmanifest",
  "icon.svg",
  "icon-192.png",
  "icon-512.png",
  "icon-maskable-512.png",
];

const scope = new URL(self.registration.scope);
const shellUrls = new Set(SHELL.map((path) => new URL(path, scope).href));

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // "no-cache": revalidate with the server rather than trust the HTTP cache, so the files are
      // this build's (an unchanged file costs a 304, not a download).
      await cache.addAll(SHELL.map((path) => new Request(new URL(path, scope), { cache: "no-cache" })));
      // No active worker yet: this is the first install, nothing to wait for.
      if (self.registration.active == null) await self.skipWaiting();
    })(),
  );
});

// The page's "Update now" button.
self.addEventListener("message", (event) => {
  if (event.data?.type === "skip-waiting") event.waitUntil(self.skipWaiting());
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE).map((name) => caches.delete(name)),
      );
      await self.clients.claim();
    })(),
  );
});

/** Paths that always go to the network: sync, API, health checks. */
function isNetworkOnly(url) {
  const path = url.pathname;
  const under = (prefix) => path === prefix || path.startsWith(prefix + "/");
  return under("/sync") || under("/api") || path === "/healthz";
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== scope.origin || isNetworkOnly(url)) return;
  if (request.headers.get("upgrade")) return; // WebSocket upgrades (browsers do not route them here anyway)

  if (request.mode === "navigate") {
    // Every page of the app is the same shell; the app reads the path itself.
    event.respondWith(fromCache(new URL("index.html", scope).href, request));
  } else if (shellUrls.has(url.origin + url.pathname)) {
    event.respondWith(fromCache(url.origin + url.pathname, request));
  }
  // Anything else (nothing yet) goes to the network untouched.
});

/** The cached copy of `cachedUrl`, or the network's answer if this build's cache lacks it. */
async function fromCache(cachedUrl, request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(cachedUrl);
  return cached ?? fetch(request);
}
