// The gate's service worker (scope /gate/): the setup and scanner pages, their scripts, the QR decoder,
// the styles and the font keep working with no network. Pages come from the network when it answers
// within a few seconds (and a copy is kept), else from the copy; the files are kept at install and
// served from the copy (a new version of any of them changes this script, which installs afresh).
// The API is not touched: gate.js keeps the gate bundle and its queue in IndexedDB itself.
const CACHE = 'gate-{{ version }}';
const FILES = {{ files | tojson }};
const PAGES = {{ pages | tojson }};
const NETWORK_WAIT_MS = 3500;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith('gate-') && n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

// A page asks to be kept (the first visit is not yet controlled, so its own answer was not seen here).
self.addEventListener('message', (event) => {
  const urls = (event.data && event.data.keep) || [];
  event.waitUntil(Promise.all(urls.filter(isPage).map((url) =>
    fetch(url, { credentials: 'same-origin' }).then((r) => keep(url, r)).catch(() => null)))
    .then(() => event.ports.forEach((port) => port.postMessage('kept'))));
});

function isPage(url) {
  const path = new URL(url, self.location.href).pathname;
  return PAGES.some((p) => p.endsWith('/') ? path.startsWith(p) || path === p.slice(0, -1) : path === p)
    && !path.startsWith('{{ url_for("gate.setup") }}dashboard') && !path.endsWith('/sw.js');
}

// Only a page's own good answer is kept (not a redirect to the login page). Call it before the
// response is handed on: its body can be copied only while nobody has read it.
function keep(request, response) {
  if (!(response.ok && !response.redirected && response.type === 'basic')) return Promise.resolve(null);
  const copy = response.clone();
  return caches.open(CACHE).then((cache) => cache.put(request, copy));
}

function fromCopy(request) {
  return caches.open(CACHE).then((cache) => cache.match(request, { ignoreVary: true })
    .then((hit) => hit || cache.match(request, { ignoreSearch: true, ignoreVary: true })));
}

function pageFirstFromNetwork(request) {
  return new Promise((resolve) => {
    let done = false;
    const fallBack = () => fromCopy(request).then((hit) => { if (hit && !done) { done = true; resolve(hit); } return hit; });
    const timer = setTimeout(fallBack, NETWORK_WAIT_MS);
    fetch(request).then((response) => {
      clearTimeout(timer);
      keep(request, response);
      if (!done) { done = true; resolve(response); }
    }).catch(() => {
      clearTimeout(timer);
      fallBack().then((hit) => { if (!done) { done = true; resolve(hit || Response.error()); } });
    });
  });
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && isPage(url.href)) {
    event.respondWith(pageFirstFromNetwork(request));
  } else if (FILES.includes(url.pathname)) {
    event.respondWith(fromCopy(request).then((hit) => hit || fetch(request).then((response) => {
      keep(request, response);
      return response;
    })));
  }
});
