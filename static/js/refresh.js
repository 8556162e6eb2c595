// Replaces the inside of [data-refresh] with a fresh copy from its URL every few seconds (the gate
// dashboard). A failed fetch keeps what is shown and tries again at the next tick.
(function () {
  "use strict";
  var box = document.querySelector("[data-refresh]");
  if (!box) return;
  var every = Number(box.getAttribute("data-every") || 5000);
  function tick() {
    fetch(box.getAttribute("data-refresh"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) box.innerHTML = html; })
      .catch(function () {})
      .then(function () { setTimeout(tick, every); });
  }
  setTimeout(tick, every);
})();
