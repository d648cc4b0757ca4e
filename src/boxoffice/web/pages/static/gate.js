/* Gate scanner: ask the server when it answers, decide from the offline bundle when not.
 * Online, every scan is POST /api/v1/checkin, where the database admits each ticket once.
 * When that fails (no network, a timeout, a server error) the phone decides alone from the
 * bundle kept in IndexedDB: signature (WebCrypto Ed25519), cancellations, admissions known
 * so far and its own admitted set. The scan is queued with the same nonce it was sent
 * with, so if the online attempt did reach the server, the upload is recognised and not
 * counted twice. The queue is uploaded as soon as the network is back; the server merges
 * it (earliest scan wins) and reports conflicts. The device key is kept in localStorage. */
(function () {
  'use strict';
  var V = window.BxGateVerify;
  var UI = window.BxGateUi;
  var Offline = window.BxGateOffline;
  var root = document.documentElement;
  var eventId = root.dataset.event;
  // The deploy's version, from this script's own URL: the worker of the same version keeps
  // the same files (boxoffice.web.pages.assets).
  var ASSETS_VERSION = new URL(document.currentScript.src).searchParams.get('v') || 'unversioned';
  var ONLINE_WAIT_MS = 3500;
  var BUNDLE_EVERY_MS = 60000;
  var SYNC_EVERY_MS = 5000;
  var state = { key: null, gate: '', store: null, bundle: null, keys: {}, revoked: null,
    field: {}, types: {}, busy: false, syncing: false, conflicts: 0 };

  function $(id) { return document.getElementById(id); }
  function keyName(id) { return 'bx-gate-key:' + id; }
  function gateName(id) { return 'bx-gate-name:' + id; }

  function api(method, path, body, waitMs) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, waitMs || 20000);
    var init = { method: method, cache: 'no-store', signal: controller.signal,
      headers: { Authorization: 'Bearer ' + state.key, Accept: 'application/json' } };
    if (body) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).finally(function () { clearTimeout(timer); });
  }

  function json(response) {
    if (response.status === 401) { var e = new Error('revoked'); e.revoked = true; throw e; }
    if (!response.ok) { throw new Error('HTTP ' + response.status); }
    return response.json();
  }

  function connection() {
    var pill = $('connection');
    pill.textContent = navigator.onLine ? UI.words.online : UI.words.offline;
    pill.className = 'pill ' + (navigator.onLine ? 'online' : 'offline');
  }

  /* ---- the offline bundle ---- */
  function merged(current, delta) {
    var rows = delta.full || !current ? {} : current.rows;
    delta.tickets.forEach(function (row) { rows[row[0]] = row; });
    return { version: delta.version, event: delta.event, keys: delta.keys,
      rotation: delta.rotation, ticket_types: delta.ticket_types, fields: delta.fields,
      rows: rows, revoked: delta.revoked, fetched_at: Date.now() };
  }

  function use(bundle) {
    state.bundle = bundle;
    state.field = {};
    bundle.fields.forEach(function (name, i) { state.field[name] = i; });
    state.types = {};
    bundle.ticket_types.forEach(function (type) { state.types[type.id] = type.name; });
    state.revoked = new Set(bundle.revoked);
    $('event-name').textContent = bundle.event.name;
    return V.importKeys(bundle.keys).then(function (keys) { state.keys = keys; }, function () {
      state.keys = null; /* no Ed25519 in this browser: typed codes still work offline */
    }).then(function () { root.dataset.bundle = 'ready'; describeBundle(); });
  }

  function describeBundle() {
    var b = state.bundle;
    if (!b) { return; }
    var count = Object.keys(b.rows).length;
    var at = UI.clock(new Date(b.fetched_at), false);
    $('bundle-status').textContent = UI.count(UI.words.bundle, count, { time: at });
  }

  function refreshBundle() {
    var since = state.bundle ? '?since=' + state.bundle.version : '';
    return api('GET', '/api/v1/events/' + eventId + '/offline-bundle' + since).then(json)
      .then(function (delta) {
        var next = merged(state.bundle, delta);
        return state.store.put('kv', 'bundle', next).then(function () { return use(next); });
      })
      .catch(function (error) { if (error.revoked) { revoked(); } });
  }

  function remember(code, at) { return Offline.remember(state, code, at); }

  function checkOnline(input, nonce) {
    var body = { nonce: nonce };
    if (input.code !== undefined) { body.code = input.code; } else { body.payload = input.payload; }
    if (state.gate) { body.gate = state.gate; }
    return api('POST', '/api/v1/checkin', body, ONLINE_WAIT_MS).then(function (response) {
      if (response.status === 422) {
        return response.json().then(function (problem) {
          return { result: 'invalid', reason: 'request', message: problem.detail };
        });
      }
      return json(response);
    });
  }

  function newNonce() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return 'n' + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  function scan(input) {
    if (state.busy) { return Promise.resolve(); }
    state.busy = true;
    UI.busy(true);
    var nonce = newNonce();
    var at = Date.now();
    var online = navigator.onLine ? checkOnline(input, nonce) : Promise.reject(new Error('offline'));
    return online.then(function (answer) {
      var admitted = answer.result === 'admitted' && answer.ticket;
      var done = admitted ? remember(answer.ticket.code.replace('-', ''), at) : Promise.resolve();
      return done.then(function () { return { answer: answer, offline: false }; });
    }, function (error) {
      if (error.revoked) { revoked(); return { answer: { result: 'invalid', reason: 'device_revoked' } }; }
      return Offline.decide(state, input, at).then(function (answer) {
        return enqueue(input, nonce, at, answer.result).then(function () {
          return { answer: answer, offline: true };
        });
      });
    }).then(function (outcome) {
      UI.show(outcome.answer, {
        offline: outcome.offline,
        typed: input.code,
        typeName: function (id) { return state.types[id]; }
      });
    }).finally(function () { state.busy = false; UI.busy(false); });
  }

  function inputOf(text) {
    text = String(text).trim();
    /* A typed code is 7 symbols (8 with the hyphen); anything longer came from a QR. */
    return text.length > 12 ? { payload: text } : { code: text };
  }

  /* ---- the upload queue ---- */
  function enqueue(input, nonce, at, result) {
    var item = { nonce: nonce, scanned_at: new Date(at).toISOString(), result: result };
    /* Within the API's limits, so that no scan can make an upload fail for ever; what is cut
     * off was not a ticket anyway and is logged as such. */
    if (input.code !== undefined) {
      item.code = input.code.slice(0, 20);
    } else {
      item.payload = input.payload.slice(0, 200);
    }
    if (state.gate) { item.gate = state.gate; }
    return state.store.put('queue', nonce, item).then(showQueue);
  }

  function showQueue() {
    return state.store.count('queue').then(function (n) {
      root.dataset.queue = String(n);
      var text = n ? UI.count(UI.words.waiting, n) : UI.words.synced;
      if (state.conflicts) { text += ' · ' + UI.count(UI.words.conflicts, state.conflicts); }
      $('sync-status').textContent = text;
    });
  }

  /* Upload a batch; a batch refused as malformed (422) is retried one scan at a time, and
   * a scan refused on its own is dropped rather than block the queue behind it. */
  function upload(batch) {
    var path = '/api/v1/events/' + eventId + '/offline-scans';
    return api('POST', path, { scans: batch }).then(function (response) {
      if (response.status === 422 && batch.length > 1) {
        return batch.reduce(function (done, scan) {
          return done.then(function () { return upload([scan]); });
        }, Promise.resolve());
      }
      if (response.status === 422) { return state.store.remove('queue', [batch[0].nonce]); }
      return json(response).then(function (report) {
        state.conflicts = report.conflicts.length;
        return state.store.remove('queue', batch.map(function (s) { return s.nonce; }));
      });
    });
  }

  function sync() {
    if (state.syncing || !state.store) { return Promise.resolve(); }
    state.syncing = true;
    return state.store.all('queue').then(function (scans) {
      if (!scans.length || !navigator.onLine) { return null; }
      return upload(scans.slice(0, 500));
    }).catch(function (error) { if (error.revoked) { revoked(); } })
      .then(showQueue)
      .finally(function () { state.syncing = false; });
  }

  /* ---- setting up the phone ---- */
  function revoked() {
    $('sync-status').textContent = UI.messages.device_revoked;
  }

  function setup(message) {
    $('setup').hidden = false;
    $('scanner').hidden = true;
    $('setup-error').textContent = message || '';
    $('gate-name').value = eventId ? localStorage.getItem(gateName(eventId)) || '' : '';
  }

  function submitSetup(event) {
    event.preventDefault();
    state.key = $('device-key').value.trim();
    var gate = $('gate-name').value.trim();
    api('GET', '/api/v1/checkin/device').then(json).then(function (device) {
      if (eventId && device.event_id !== eventId) {
        setup(UI.words.other_event_key);
        return;
      }
      localStorage.setItem(keyName(device.event_id), state.key);
      localStorage.setItem(gateName(device.event_id), gate);
      if (!eventId) { location.assign('/gate/' + device.event_id); return; }
      start();
    }).catch(function (error) {
      setup(error.revoked ? UI.words.key_refused : UI.words.no_connection);
    });
  }

  function start() {
    state.key = localStorage.getItem(keyName(eventId));
    state.gate = localStorage.getItem(gateName(eventId)) || '';
    $('setup').hidden = true;
    $('scanner').hidden = false;
    $('forget').hidden = false;
    $('gate-label').textContent = state.gate ? UI.say(UI.words.gate, { gate: state.gate }) : '';
    connection();
    if (!state.timers) {
      state.timers = [
        setInterval(function () { if (state.store) { refreshBundle(); } }, BUNDLE_EVERY_MS),
        setInterval(sync, SYNC_EVERY_MS)
      ];
    }
    return window.BxGateStore.open(eventId).then(function (store) {
      state.store = store;
      return store.get('kv', 'bundle');
    }).then(function (saved) { return saved ? use(saved) : null; })
      .then(refreshBundle)
      .then(showQueue)
      .then(sync);
  }

  /* Register the gate's worker and keep this page in its cache, so it reopens offline
   * (this first view is not controlled by the worker yet, so it stores itself). */
  function keepPageOffline() {
    if (!('serviceWorker' in navigator) || !window.caches) { return; }
    navigator.serviceWorker.register('/gate/sw.js?v=' + ASSETS_VERSION, { scope: '/gate/' })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function () { return caches.open('bx-gate-pages'); })
      .then(function (cache) { return navigator.onLine ? cache.add(location.pathname) : null; })
      .then(function () { root.dataset.offline = 'ready'; })
      .catch(function () { root.dataset.offline = 'failed'; });
  }

  function init() {
    $('setup').addEventListener('submit', submitSetup);
    $('forget').addEventListener('click', function () {
      localStorage.removeItem(keyName(eventId));
      location.reload();
    });
    $('manual').addEventListener('submit', function (event) {
      event.preventDefault();
      var field = $('code');
      var text = field.value;
      field.value = '';
      scan(inputOf(text));
    });
    var camera = new UI.Camera('reader', function (text) { scan(inputOf(text)); }, function (error) {
      $('result-detail').textContent = UI.say(UI.words.camera_unavailable, { error: error });
    });
    $('camera-toggle').addEventListener('click', function () {
      var button = $('camera-toggle');
      if (camera.running()) {
        camera.stop().then(function () { button.textContent = UI.words.start_camera; });
      } else {
        camera.start().then(function () { button.textContent = UI.words.stop_camera; }, function () {});
      }
    });
    window.addEventListener('online', function () { connection(); sync(); refreshBundle(); });
    window.addEventListener('offline', connection);
    keepPageOffline();
    if (!eventId || !localStorage.getItem(keyName(eventId))) { setup(''); return; }
    start();
  }

  init();
}());
