/* Rotating QR: redraw the code every step with the ticket's current TOTP digits.
 * The digits are HMAC-SHA-256 (RFC 6238, 8 digits) of the time step under this ticket's
 * secret, computed here with WebCrypto, so the code keeps changing offline too. Without
 * WebCrypto (a page not served over HTTPS), it asks the API for the current payload. */
(function () {
  'use strict';
  var figure = document.getElementById('qr');
  var box = document.getElementById('qr-box');
  if (!figure || !box || !figure.dataset.signed) { return; }
  var countdown = document.getElementById('countdown');
  var step = Number(figure.dataset.step);
  var digits = Number(figure.dataset.digits);
  var signed = figure.dataset.signed;
  var label = (box.querySelector('svg') || box).getAttribute('aria-label') || 'QR code';
  var SVG = 'http://www.w3.org/2000/svg';
  var shownStep = -1;

  function fromBase64Url(text) {
    var plain = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    var bytes = new Uint8Array(plain.length);
    for (var i = 0; i < plain.length; i += 1) { bytes[i] = plain.charCodeAt(i); }
    return bytes;
  }

  function draw(payload) {
    var qr = qrcode(0, 'M');
    qr.addData(payload, 'Alphanumeric');
    qr.make();
    var n = qr.getModuleCount();
    var size = n + 8;
    var d = [];
    for (var row = 0; row < n; row += 1) {
      for (var col = 0; col < n; col += 1) {
        if (qr.isDark(row, col)) { d.push('M' + (col + 4) + ' ' + (row + 4) + 'h1v1h-1z'); }
      }
    }
    var svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + size + ' ' + size);
    svg.setAttribute('class', 'qr-code');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
    svg.setAttribute('shape-rendering', 'crispEdges');
    var background = document.createElementNS(SVG, 'rect');
    background.setAttribute('width', String(size));
    background.setAttribute('height', String(size));
    background.setAttribute('fill', '#fff');
    var dark = document.createElementNS(SVG, 'path');
    dark.setAttribute('d', d.join(''));
    dark.setAttribute('fill', '#000');
    svg.appendChild(background);
    svg.appendChild(dark);
    box.replaceChildren(svg);
    figure.dataset.payload = payload;
    figure.dataset.step = String(step);
  }

  function totp(key, counter) {
    var message = new Uint8Array(8);
    var view = new DataView(message.buffer);
    view.setUint32(0, Math.floor(counter / 4294967296));
    view.setUint32(4, counter >>> 0);
    return crypto.subtle.sign('HMAC', key, message).then(function (signature) {
      var b = new Uint8Array(signature);
      var offset = b[b.length - 1] & 15;
      var value = ((b[offset] & 0x7f) * 16777216) + (b[offset + 1] << 16)
        + (b[offset + 2] << 8) + b[offset + 3];
      var text = String(value % Math.pow(10, digits));
      while (text.length < digits) { text = '0' + text; }
      return text;
    });
  }

  function fromApi() {
    var headers = { Accept: 'application/json' };
    return fetch(figure.dataset.api + location.search, { headers: headers, cache: 'no-store' })
      .then(function (response) { return response.json(); })
      .then(function (ticket) { return ticket.qr; });
  }

  function tick(nextPayload) {
    var now = Date.now() / 1000;
    var counter = Math.floor(now / step);
    if (countdown) { countdown.textContent = Math.ceil(step - (now % step)) + ' s'; }
    if (counter === shownStep) { return; }
    shownStep = counter;
    nextPayload(counter).then(draw).catch(function () { shownStep = -1; });
  }

  if (window.crypto && crypto.subtle) {
    crypto.subtle.importKey(
      'raw', fromBase64Url(figure.dataset.secret), { name: 'HMAC', hash: 'SHA-256' },
      false, ['sign']
    ).then(function (key) {
      var next = function (counter) {
        return totp(key, counter).then(function (value) { return signed + '.' + value; });
      };
      tick(next);
      setInterval(function () { tick(next); }, 1000);
    });
  } else {
    tick(fromApi);
    setInterval(function () { tick(fromApi); }, 1000);
  }
}());
