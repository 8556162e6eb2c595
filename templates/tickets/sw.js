// Phone tickets offline: answer from the network when there is one (and keep a copy), from the copy when not.
// Only the ticket pages and static files are kept; nothing else of the site is touched.
const CACHE = 'tickets-v1';
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  const path = new URL(event.request.url).pathname;
  if (event.request.method !== 'GET' || !(path.startsWith('/t/') || path.startsWith('/static/'))) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        const copy = response.clone();
        if (response.ok) caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        return response;
      })
      .catch(() => caches.match(event.request, { ignoreVary: true, ignoreSearch: path.startsWith('/static/') }))
  );
});
