// Keep the phone-ticket page for the gate from the first visit: the service worker answers from this copy
// when the network drops. The page stores itself, its style sheet and its fonts now, without waiting for
// a second visit. The addresses come from the page (data-sw, data-keep on <body>).
(function () {
  "use strict";
  var body = document.body;
  if (!('serviceWorker' in navigator && 'caches' in window) || !body.dataset.sw) return;
  navigator.serviceWorker.register(body.dataset.sw, {scope: '/'});
  var keep = [location.pathname].concat(JSON.parse(body.dataset.keep || '[]'));
  caches.open('tickets-v1').then(function (cache) { return cache.addAll(keep); })
    .then(function () { body.dataset.offlineReady = '1'; })
    .catch(function () { /* no network or no storage: the next visit tries again */ });
})();
