/* Boxoffice gate service worker (scope /gate/): the scanner page opens with no signal.
 * The page shell holds no secret (the device key is in localStorage, the bundle in
 * IndexedDB), so it is safe to keep. Pages: network first with a short wait, then the kept
 * copy. Scripts and styles: the kept copy at once, refreshed in the background. API calls
 * are never cached here: the page itself decides what to do when they fail. */
'use strict';
var CACHE = 'bx-gate-v1';
var NETWORK_WAIT_MS = 3000;
var FILES = [
  '/t/static/gate.css',
  '/t/static/gate.js',
  '/t/static/gate-ui.js',
  '/t/static/gate-offline.js',
  '/t/static/gate-store.js',
  '/t/static/gate-verify.js',
  '/t/static/vendor/html5-qrcode-2.3.8.min.js',
  '/t/static/icon.svg'
];

self.addEventListener('install', function (event) {
  event.waitUntil(
    caches.open(CACHE)
      .then(function (cache) { return cache.addAll(FILES); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener('activate', function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf('bx-gate-') === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function keptFirst(request) {
  var network = fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  });
  return caches.match(request).then(function (hit) {
    if (hit) {
      network.catch(function () { return null; });
      return hit;
    }
    return network;
  });
}

function networkFirst(request) {
  var network = fetch(request).then(function (response) {
    if (response.status === 200) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  });
  var slow = new Promise(function (resolve) { setTimeout(function () { resolve(null); }, NETWORK_WAIT_MS); });
  var answered = network.then(function (response) {
    return response.status >= 500 ? null : response;
  }, function () { return null; });
  return Promise.race([answered, slow]).then(function (response) {
    if (response) { return response; }
    return caches.match(request).then(function (hit) { return hit || network; });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (FILES.indexOf(url.pathname) >= 0) {
    event.respondWith(keptFirst(request));
  } else if (request.mode === 'navigate' && url.pathname.indexOf('/gate/') === 0) {
    event.respondWith(networkFirst(request));
  }
});
