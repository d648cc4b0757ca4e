/* Boxoffice gate service worker (scope /gate/): the scanner page opens with no signal.
 * The page shell holds no secret (the device key is in localStorage, the bundle in
 * IndexedDB), so it is safe to keep. Pages: network first with a short wait, then the kept
 * copy (cache bx-gate-pages, which outlives deploys). Scripts and styles are named by the
 * deploy's version (`?v=`, boxoffice.web.pages.assets) and this worker is registered as
 * sw.js?v=<the same version>: a deploy installs a new worker that keeps the new files under a
 * new cache and drops the old, and a new page never runs an old script. API calls are never
 * cached here: the page itself decides what to do when they fail. */
'use strict';
var VERSION = new URL(self.location.href).searchParams.get('v') || 'unversioned';
var FILES_CACHE = 'bx-gate-files-' + VERSION;
var PAGES = 'bx-gate-pages';
var LEGACY = 'bx-gate-v1';  // files and pages together, before versioned files
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

function versioned(path) { return path + '?v=' + VERSION; }

/* Whether a file's answer came from the release its URL names: during a rolling deploy a
 * host of the other release may answer, and a kept file is kept for good. */
function ofItsRelease(request, response) {
  var named = new URL(request.url, self.location.href).searchParams.get('v');
  return response.ok && named !== null && response.headers.get('Boxoffice-Release') === named;
}

/* This release's files, every one from this release, or no install (tried again later). */
function keepRelease(cacheName, paths) {
  return caches.open(cacheName).then(function (cache) {
    return Promise.all(paths.map(function (path) {
      var request = new Request(versioned(path), { cache: 'no-cache' });
      return fetch(request).then(function (response) {
        if (!ofItsRelease(request, response)) {
          throw new Error(path + ': not from release ' + VERSION);
        }
        return cache.put(versioned(path), response);
      });
    }));
  });
}

self.addEventListener('install', function (event) {
  event.waitUntil(
    keepRelease(FILES_CACHE, FILES)
      .then(function () { return self.skipWaiting(); }, function (failure) {
        return caches.delete(FILES_CACHE).then(function () { throw failure; });
      })
  );
});

/* Pages kept by the worker before files were versioned move to the pages cache, so a scanner
 * kept offline before this deploy still opens offline after it. */
function movePagesFrom(name) {
  return caches.open(name).then(function (old) {
    return old.keys().then(function (requests) {
      return caches.open(PAGES).then(function (pages) {
        return Promise.all(requests.filter(function (request) {
          return FILES.indexOf(new URL(request.url).pathname) < 0;
        }).map(function (request) {
          return pages.match(request).then(function (kept) {
            if (kept) { return null; }
            return old.match(request).then(function (response) {
              return response ? pages.put(request, response) : null;
            });
          });
        }));
      });
    });
  });
}

self.addEventListener('activate', function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      var moved = names.indexOf(LEGACY) >= 0 ? movePagesFrom(LEGACY) : Promise.resolve();
      return moved.then(function () {
        return Promise.all(names.filter(function (name) {
          return name.indexOf('bx-gate-') === 0 && name !== FILES_CACHE && name !== PAGES;
        }).map(function (name) { return caches.delete(name); }));
      });
    }).then(function () { return self.clients.claim(); })
  );
});

/* A script or style: the kept copy of this very version, else the network (kept for next
 * time); with no network, the kept copy of any version, for a page kept before a deploy. */
function keptFile(request) {
  return caches.match(request).then(function (hit) {
    if (hit) { return hit; }
    return fetch(request).then(function (response) {
      if (ofItsRelease(request, response)) {
        var copy = response.clone();
        caches.open(FILES_CACHE).then(function (cache) { cache.put(request, copy); });
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

function networkFirst(request) {
  var network = fetch(request).then(function (response) {
    if (response.status === 200) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { cache.put(request, copy); });
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
    event.respondWith(keptFile(request));
  } else if (request.mode === 'navigate' && url.pathname.indexOf('/gate/') === 0) {
    event.respondWith(networkFirst(request));
  }
});
