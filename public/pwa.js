// cardcrm PWA glue: registers the service worker (/sw.js), shows how many photographed cards wait
// for the network (any element with `data-offline-queue`, e.g. in the navigation bar), and asks the
// worker to upload them when the browser comes back online.
//
// Queued cards belong to the account that took them: the page tells the worker who is signed in
// (the navigation bar's `data-user-id` / `data-user-name`; nobody on pages without it), the worker
// uploads a card only while its owner is signed in, and when cards of another account wait on
// this device the page asks the signed-in user once whether to upload them to their own account
// or discard them (else they keep waiting for their owner).
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  var count = 0;
  var items = [];
  var announced; // the user last told to the worker, as "id" or ""

  function currentUser() {
    var el = document.querySelector("[data-offline-queue][data-user-id]");
    if (!el) return null;
    var id = parseInt(el.getAttribute("data-user-id"), 10);
    if (!isFinite(id)) return null;
    return { id: id, name: el.getAttribute("data-user-name") || "" };
  }

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

  // Tells the worker when the signed-in account changed (sign-in, sign-out, another account).
  function announce(type) {
    var user = currentUser();
    var key = user ? String(user.id) : "";
    if (type === "user" && key === announced) return;
    announced = key;
    post({ type: type, user: user });
  }

  function sameUser(a, b) {
    return !!a && !!b && a.id === b.id;
  }

  // Cards of another (or an unknown) account wait here: ask the signed-in user once per set of cards.
  function askAboutOthers() {
    var user = currentUser();
    if (!user) return;
    var others = items.filter(function (it) { return !sameUser(it.user, user); });
    if (!others.length) return;
    var ids = others.map(function (it) { return it.id; });
    var key = "cardcrm-offline-asked:" + user.id + ":" + ids.join(",");
    try {
      if (sessionStorage.getItem(key)) return;
      sessionStorage.setItem(key, "1");
    } catch (_) {}
    var names = [];
    others.forEach(function (it) {
      var n = it.user && it.user.name ? it.user.name : "another account";
      if (names.indexOf(n) < 0) names.push(n);
    });
    var who = names.join(", ");
    var n = ids.length;
    var what = n === 1 ? "1 card photo was" : n + " card photos were";
    setTimeout(function () {
      var upload = window.confirm(
        what + " taken on this device while " + who + " was signed in, and not uploaded yet.\n\n" +
        "OK: upload them to your account (" + user.name + ").\nCancel: do not upload them to your account."
      );
      if (upload) {
        post({ type: "adopt", ids: ids, user: user });
        return;
      }
      var drop = window.confirm(
        "Discard " + (n === 1 ? "this card photo" : "these " + n + " card photos") + " from this device?\n\n" +
        "OK: discard.\nCancel: keep them here; they upload when " + who + " signs in again on this device."
      );
      if (drop) post({ type: "discard", ids: ids });
    }, 0);
  }

  function mine() {
    var user = currentUser();
    if (!user) return items.length;
    return items.filter(function (it) { return sameUser(it.user, user); }).length;
  }

  navigator.serviceWorker.addEventListener("message", function (e) {
    var d = e.data || {};
    if (d.type === "queue") {
      items = Array.isArray(d.items) ? d.items : [];
      count = Array.isArray(d.items) ? mine() : d.count | 0;
      paint();
      window.dispatchEvent(new CustomEvent("cardcrm:offline-queue", { detail: { count: count, uploaded: d.uploaded | 0 } }));
      askAboutOthers();
    }
  });

  // The navigation bar is re-rendered by the app: keep the indicator painted and the worker told
  // who is signed in.
  var pending = false;
  new MutationObserver(function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      count = mine();
      paint();
      announce("user");
    });
  }).observe(document.documentElement, { childList: true, subtree: true });

  window.addEventListener("online", function () { post({ type: "replay" }); });

  navigator.serviceWorker
    .register("/sw.js", { scope: "/" })
    .then(function () { announce("hello"); })
    .catch(function (err) { console.warn("service worker not registered:", err); });
})();
