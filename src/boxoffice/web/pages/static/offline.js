/* Register the ticket service worker and keep the ticket open on this page for offline use.
 * The first visit is not yet controlled by the worker, so the page stores itself in the
 * worker's ticket cache; later visits are cached by the worker as they pass through. What it
 * says comes from the page (its data attributes), in the reader's language. */
(function () {
  'use strict';
  var TICKETS = 'bx-tickets-v1';
  // The deploy's version, from this script's own URL: the worker of the same version keeps
  // the same files (boxoffice.web.pages.assets).
  var version = new URL(document.currentScript.src).searchParams.get('v') || 'unversioned';
  var root = document.documentElement;
  var status = document.getElementById('offline-status');

  function say(text) {
    if (status) { status.textContent = text; }
  }

  if (!('serviceWorker' in navigator) || !window.caches) { return; }
  var isTicket = document.querySelector('[data-ticket]') !== null;
  navigator.serviceWorker.register('/t/sw.js?v=' + version, { scope: '/t/' })
    .then(function () { return navigator.serviceWorker.ready; })
    .then(function () {
      if (!isTicket) { return null; }
      return caches.open(TICKETS).then(function (cache) { return cache.add(location.href); });
    })
    .then(function () {
      root.dataset.offline = 'ready';
      if (isTicket) { say(status && status.dataset.saved); }
    })
    .catch(function () {
      root.dataset.offline = navigator.onLine ? 'failed' : 'copy';
      if (!navigator.onLine) { say(status && status.dataset.noSignal); }
    });
}());
