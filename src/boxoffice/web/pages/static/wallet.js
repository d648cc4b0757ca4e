/* The offline wallet: every ticket page this device has kept, read from the worker's cache. */
(function () {
  'use strict';
  var list = document.getElementById('wallet');
  var empty = document.getElementById('wallet-empty');
  if (!list || !window.caches) { return; }
  caches.open('bx-tickets-v1').then(function (cache) {
    return cache.keys().then(function (requests) {
      return Promise.all(requests.map(function (request) {
        return cache.match(request).then(function (response) { return response.text(); })
          .then(function (html) {
            var page = new DOMParser().parseFromString(html, 'text/html');
            var ticket = page.querySelector('[data-ticket]');
            return ticket && { url: request.url, data: ticket.dataset };
          });
      }));
    });
  }).then(function (found) {
    found.filter(Boolean).forEach(function (ticket) {
      var item = document.createElement('li');
      var link = document.createElement('a');
      link.href = ticket.url;
      link.textContent = ticket.data.ticket + ' · ' + ticket.data.event;
      var when = document.createElement('div');
      when.textContent = ticket.data.when;
      item.appendChild(link);
      item.appendChild(when);
      list.appendChild(item);
    });
    if (list.children.length && empty) {
      empty.textContent = empty.dataset.kept;
    }
  });
}());
