/* Boxoffice ticket service worker (scope /t/).
 * Ticket pages: network first, so a cancelled ticket shows as cancelled, but after
 * NETWORK_WAIT_MS, or with no network, or when the server fails, the copy kept on this
 * device is shown. The QR is inline SVG in the page itself, so a kept page shows its QR with
 * no further request.
 * Static files are named by the deploy's version (`?v=`, boxoffice.web.pages.assets) and this
 * worker is registered as sw.js?v=<the same version>: a deploy installs a new worker, which
 * keeps the new files under a new shell cache and drops the old one, while kept tickets stay.
 * A versioned file never changes, so it is served from the cache when there, else fetched. */
'use strict';
var VERSION = new URL(self.location.href).searchParams.get('v') || 'unversioned';
var SHELL = 'bx-shell-' + VERSION;
var TICKETS = 'bx-tickets-v1';
var NETWORK_WAIT_MS = 4000;
var STATIC_FILES = [
  '/t/static/ticket.css',
  '/t/static/offline.js',
  '/t/static/rotating.js',
  '/t/static/wallet.js',
  '/t/static/vendor/qrcode-generator-2.0.4.js',
  '/t/static/icon.svg',
  '/t/static/icon-192.png'
];
var SHELL_PAGES = ['/t/', '/t/manifest.webmanifest'];

function versioned(path) { return path + '?v=' + VERSION; }

/* Whether a file's answer came from the release its URL names: during a rolling deploy a
 * host of the other release may answer, and a kept file is kept for good. */
function ofItsRelease(request, response) {
  var named = new URL(request.url, self.location.href).searchParams.get('v');
  return response.ok && named !== null && response.headers.get('Boxoffice-Release') === named;
}

/* The shell of this release, every file from this release, or no install (tried again on a
 * later visit). */
function keepShell() {
  return caches.open(SHELL).then(function (cache) {
    var files = STATIC_FILES.map(function (path) {
      var request = new Request(versioned(path), { cache: 'no-cache' });
      return fetch(request).then(function (response) {
        if (!ofItsRelease(request, response)) {
          throw new Error(path + ': not from release ' + VERSION);
        }
        return cache.put(versioned(path), response);
      });
    });
    return Promise.all(files.concat([cache.addAll(SHELL_PAGES)]));
  });
}

self.addEventListener('install', function (event) {
  event.waitUntil(
    keepShell().then(function () { return self.skipWaiting(); }, function (failure) {
      return caches.delete(SHELL).then(function () { throw failure; });
    })
  );
});

self.addEventListener('activate', function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        // Only this worker's own older shells: the origin's caches are shared with the gate's
        // worker, whose copies are not ours to drop.
        return name.indexOf('bx-shell-') === 0 && name !== SHELL;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function isTicketPage(url) {
  return /^\/t\/[^/]+$/.test(url.pathname) && url.pathname !== '/t/sw.js';
}

function staleWhileRevalidate(request) {
  var network = fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(SHELL).then(function (cache) { cache.put(request, copy); });
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

/* A static file: the kept copy of this very version, else the network (kept for next time);
 * with no network, the kept copy of any version, for a page kept before the last deploy. */
function keptFile(request) {
  return caches.match(request).then(function (hit) {
    if (hit) { return hit; }
    return fetch(request).then(function (response) {
      if (ofItsRelease(request, response)) {
        var copy = response.clone();
        caches.open(SHELL).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }, function (failure) {
      return caches.match(request, { ignoreSearch: true }).then(function (older) {
        if (older) { return older; }
        throw failure;
      });
    });
  });
}

function networkFirst(request, cacheName) {
  var network = fetch(request).then(function (response) {
    if (response.status === 200) {
      var copy = response.clone();
      caches.open(cacheName).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  });
  var slow = new Promise(function (resolve) {
    setTimeout(function () { resolve(null); }, NETWORK_WAIT_MS);
  });
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
  if (url.pathname.indexOf('/t/static/') === 0) {
    event.respondWith(keptFile(request));
  } else if (url.pathname === '/t/manifest.webmanifest') {
    event.respondWith(staleWhileRevalidate(request));
  } else if (request.mode === 'navigate' && isTicketPage(url)) {
    event.respondWith(networkFirst(request, TICKETS));
  } else if (request.mode === 'navigate' && url.pathname === '/t/') {
    event.respondWith(networkFirst(request, SHELL));
  }
});
