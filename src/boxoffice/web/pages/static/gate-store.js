/* Gate: what the phone keeps for offline use, in IndexedDB (one database per event).
 *   kv        the offline bundle as last merged ("bundle")
 *   admitted  code -> {at, gate}: tickets this phone let in, so a second scan is refused
 *             offline even before the server hears of the first
 *   queue     nonce -> scan: scans decided here, waiting for upload (removed once the server
 *             has them; its nonce check makes a repeated upload harmless) */
(function (global) {
  'use strict';
  var STORES = ['kv', 'admitted', 'queue'];

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function open(eventId) {
    var req = indexedDB.open('bx-gate-' + eventId, 1);
    req.onupgradeneeded = function () {
      STORES.forEach(function (name) {
        if (!req.result.objectStoreNames.contains(name)) { req.result.createObjectStore(name); }
      });
    };
    return request(req).then(function (db) { return new Store(db); });
  }

  function Store(db) { this.db = db; }

  Store.prototype.tx = function (name, mode) {
    return this.db.transaction(name, mode).objectStore(name);
  };
  Store.prototype.get = function (name, key) {
    return request(this.tx(name, 'readonly').get(key));
  };
  Store.prototype.put = function (name, key, value) {
    return request(this.tx(name, 'readwrite').put(value, key));
  };
  Store.prototype.remove = function (name, keys) {
    var store = this.tx(name, 'readwrite');
    return Promise.all(keys.map(function (key) { return request(store.delete(key)); }));
  };
  Store.prototype.all = function (name) {
    return request(this.tx(name, 'readonly').getAll());
  };
  Store.prototype.count = function (name) {
    return request(this.tx(name, 'readonly').count());
  };

  global.BxGateStore = { open: open };
}(window));
