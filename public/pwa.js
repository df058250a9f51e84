// cardcrm PWA glue: registers the service worker (/sw.js), shows how many photographed cards wait
// for the network (any element with `data-offline-queue`, e.g. in the navigation bar), and asks the
// worker to upload them when the browser comes back online.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  var count = 0;

  function paint() {
    var text = count === 1 ? "1 card waiting" : count + " cards waiting";
    document.documentElement.setAttribute("data-offline-queue", String(count));
    var els = document.querySelectorAll("[data-offline-queue]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el === document.documentElement) continue;
      var hide = count === 0;
      if (el.hidden !== hide) el.hidden = hide;
      var want = hide ? "" : "⇪ " + text;
      if (el.textContent !== want) el.textContent = want;
      el.title = hide ? "" : text + " to upload when the connection returns";
    }
  }

  function post(msg) {
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.active) reg.active.postMessage(msg);
    });
  }

  navigator.serviceWorker.addEventListener("message", function (e) {
    var d = e.data || {};
    if (d.type === "queue") {
      count = d.count | 0;
      paint();
      window.dispatchEvent(new CustomEvent("cardcrm:offline-queue", { detail: { count: count, uploaded: d.uploaded | 0 } }));
    }
  });

  // The navigation bar is re-rendered by the app: keep the indicator painted.
  var pending = false;
  new MutationObserver(function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      paint();
    });
  }).observe(document.documentElement, { childList: true, subtree: true });

  window.addEventListener("online", function () { post({ type: "replay" }); });

  navigator.serviceWorker
    .register("/sw.js", { scope: "/" })
    .then(function () { post({ type: "hello" }); })
    .catch(function (err) { console.warn("service worker not registered:", err); });
})();
