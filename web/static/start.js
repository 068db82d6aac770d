// The web app's start-up: loads the app's code, asks for persistent storage, and registers the
// service worker with its "Update now" prompt. A file of its own (not inline in index.html), so
// the relay's Content-Security-Policy can refuse every inline script; the service worker caches it
// with the rest of the shell (sw.js).

import init from "./tandem_web.js";

init().catch((error) => {
  console.error("Tandem could not start", error);
  document.getElementById("app").innerHTML =
    '<p class="boot" role="alert">Tandem could not start in this browser. Reload the page to try again.</p>';
});

// Ask the browser not to evict this site's storage under pressure: the documents in IndexedDB
// may be the only copy of notes typed offline. The browser may say no; the app works either way.
navigator.storage?.persist?.().catch(() => {});

// The service worker keeps the app's code so the page opens with no network. Its first install
// takes control at once; a later version waits until the person chooses "Update now", so a page
// never switches code under someone typing. Plain DOM, outside #app, so the prompt works whatever
// state the app is in (even if the app failed to start).
if ("serviceWorker" in navigator) {
  // A page reloads when a new worker replaces the one controlling it, once. The first install
  // also changes the controller (from none to the worker, by clients.claim), and that needs no
  // reload: the page already runs the code that worker caches.
  let controlled = navigator.serviceWorker.controller != null;
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!controlled) {
      controlled = true;
      return;
    }
    if (reloading) return;
    reloading = true;
    window.location.reload();
  });

  // The live region exists (empty) from the start, so screen readers announce the text put in it.
  const prompt = document.createElement("div");
  prompt.className = "update-prompt";
  prompt.setAttribute("role", "status");
  document.body.append(prompt);

  const offerUpdate = (registration) => {
    if (!registration.waiting || !navigator.serviceWorker.controller || prompt.childElementCount) return;
    Object.assign(prompt.style, {
      position: "fixed", insetInline: "0", bottom: "0", zIndex: "1000", display: "flex", flexWrap: "wrap",
      alignItems: "center", justifyContent: "center", gap: "0.5rem 1rem", padding: "0.75rem 1rem",
      background: "#0f5e56", color: "#ffffff", font: "inherit", fontSize: "1rem",
    });
    const text = document.createElement("p");
    text.textContent = "A new version of Tandem is ready.";
    text.style.margin = "0";
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Update now";
    Object.assign(button.style, {
      minHeight: "44px", padding: "0 1rem", font: "inherit", color: "#0f5e56", background: "#ffffff",
      border: "2px solid #ffffff", borderRadius: "8px", cursor: "pointer",
    });
    button.addEventListener("click", () => {
      button.disabled = true;
      // The newest waiting worker, which may be newer than the one that showed the prompt.
      registration.waiting?.postMessage({ type: "skip-waiting" });
    });
    prompt.append(text, button);
    // Room below the page's own content, so the prompt never hides its last buttons.
    document.body.style.paddingBottom = `${prompt.offsetHeight}px`;
  };

  // Registered after the page has loaded, so its downloads do not compete with the first load.
  window.addEventListener("load", async () => {
    let registration;
    try {
      registration = await navigator.serviceWorker.register("./sw.js");
    } catch (error) {
      console.warn("Tandem will not open offline: the service worker was not registered", error);
      return;
    }
    offerUpdate(registration); // a version that finished installing before this page opened
    registration.addEventListener("updatefound", () => {
      const worker = registration.installing;
      worker?.addEventListener("statechange", () => {
        if (worker.state === "installed") offerUpdate(registration);
      });
    });
  });
}
