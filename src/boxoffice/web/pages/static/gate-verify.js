/* Gate: read a scan without the server, mirroring boxoffice.checkin.rules and tickets.qr.
 * A QR payload is BX1 + 117 base-42 symbols (+ "." + 8 TOTP digits on rotating events):
 * key id (8 bits) | event id (80) | ticket number (30) | Ed25519 signature (512).
 * The signature is checked with WebCrypto Ed25519 against the event's public keys from the
 * offline bundle, so a forged or altered code is refused with no network. A typed code is
 * checked with its check character (weights 7..1, mod 29), so a typo never matches someone
 * else's ticket. */
(function (global) {
  'use strict';
  var BODY = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$*+-/:';
  var CODE = '23456789ABCDEFGHJKMNPQRTVWXYZ';
  var BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
  var PREFIX = 'BX1';
  var BODY_LENGTH = 117;
  var CONTEXT = new TextEncoder().encode('boxoffice-qr:1:');

  function checksum(symbols) {
    var sum = 0;
    for (var i = 0; i < symbols.length; i += 1) { sum += (7 - i) * CODE.indexOf(symbols[i]); }
    return sum % 29;
  }

  /* {code} for a typed code whose check character holds, else {reason} and what is wrong:
   * the {length} typed, or the {position} (from 1) and {character} of a symbol codes never
   * use. */
  function parseCode(text) {
    var code = String(text).replace(/[\s-]/g, '').toUpperCase();
    if (code.length !== 7) { return { reason: 'length', length: code.length }; }
    for (var i = 0; i < code.length; i += 1) {
      if (CODE.indexOf(code[i]) < 0) { return { reason: 'character', position: i + 1, character: code[i] }; }
    }
    if (checksum(code) !== 0) { return { reason: 'check' }; }
    return { code: code };
  }

  function displayCode(code) { return code.slice(0, 3) + '-' + code.slice(3); }

  /* The valid codes one substitution or one adjacent swap away from a typed code that fails
   * its check character (as tickets.codes.suggest_corrections): 7 to 13 of them. */
  function corrections(text) {
    var code = String(text).replace(/[\s-]/g, '').toUpperCase();
    var found = {};
    for (var i = 0; i < code.length; i += 1) {
      for (var j = 0; j < CODE.length; j += 1) {
        found[code.slice(0, i) + CODE[j] + code.slice(i + 1)] = true;
      }
      if (i + 1 < code.length) {
        found[code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2)] = true;
      }
    }
    return Object.keys(found).filter(function (c) {
      return c !== code && checksum(c) === 0;
    }).sort();
  }

  function toBytes(big, length) {
    var out = new Uint8Array(length);
    for (var i = length - 1; i >= 0; i -= 1) { out[i] = Number(big & 255n); big >>= 8n; }
    return out;
  }

  function base32(bytes) {
    var bits = 0; var value = 0; var out = '';
    for (var i = 0; i < bytes.length; i += 1) {
      value = (value << 8) | bytes[i]; bits += 8;
      while (bits >= 5) { out += BASE32[(value >>> (bits - 5)) & 31]; bits -= 5; }
    }
    if (bits > 0) { out += BASE32[(value << (5 - bits)) & 31]; }
    return out;
  }

  function fromBase64Url(text) {
    var plain = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    var bytes = new Uint8Array(plain.length);
    for (var i = 0; i < plain.length; i += 1) { bytes[i] = plain.charCodeAt(i); }
    return bytes;
  }

  /* The unverified fields of a payload, or null when it is not a version-1 payload. */
  function parsePayload(text) {
    text = String(text).trim();
    if (text.indexOf(PREFIX) !== 0) { return null; }
    var body = text.slice(PREFIX.length, PREFIX.length + BODY_LENGTH);
    var rest = text.slice(PREFIX.length + BODY_LENGTH);
    if (body.length !== BODY_LENGTH) { return null; }
    var number = 0n;
    for (var i = 0; i < body.length; i += 1) {
      var value = BODY.indexOf(body[i]);
      if (value < 0) { return null; }
      number = number * 42n + BigInt(value);
    }
    if (number >> 630n) { return null; }
    var rotation = null;
    if (rest) {
      if (rest[0] !== '.') { return null; }
      rotation = rest.slice(1);
    }
    var signature = toBytes(number & ((1n << 512n) - 1n), 64);
    number >>= 512n;
    var ticketNumber = Number(number & ((1n << 30n) - 1n));
    number >>= 30n;
    var eventBytes = toBytes(number & ((1n << 80n) - 1n), 10);
    var keyId = Number(number >> 80n);
    if (keyId === 0 || ticketNumber >= Math.pow(29, 6)) { return null; }
    var payload = '';
    for (var j = 0, n = ticketNumber; j < 6; j += 1) {
      payload = CODE[n % 29] + payload; n = Math.floor(n / 29);
    }
    var check = CODE[(29 - checksum(payload)) % 29];
    var signed = new Uint8Array(15);
    signed[0] = keyId;
    signed.set(eventBytes, 1);
    signed.set(toBytes(BigInt(ticketNumber), 4), 11);
    return {
      keyId: keyId, eventId: 'evt_' + base32(eventBytes), code: payload + check,
      signed: signed, signature: signature, rotation: rotation
    };
  }

  function importKeys(keys) {
    var ids = Object.keys(keys || {});
    return Promise.all(ids.map(function (id) {
      return crypto.subtle.importKey(
        'raw', fromBase64Url(keys[id]), { name: 'Ed25519' }, false, ['verify']);
    })).then(function (imported) {
      var byId = {};
      ids.forEach(function (id, i) { byId[id] = imported[i]; });
      return byId;
    });
  }

  function hotp(key, counter, digits) {
    var message = new Uint8Array(8);
    var view = new DataView(message.buffer);
    view.setUint32(0, Math.floor(counter / 4294967296));
    view.setUint32(4, counter >>> 0);
    return crypto.subtle.sign('HMAC', key, message).then(function (mac) {
      var b = new Uint8Array(mac);
      var offset = b[b.length - 1] & 15;
      var value = ((b[offset] & 0x7f) * 16777216) + (b[offset + 1] << 16)
        + (b[offset + 2] << 8) + b[offset + 3];
      var out = String(value % Math.pow(10, digits));
      while (out.length < digits) { out = '0' + out; }
      return out;
    });
  }

  /* Whether the digits are the ticket's TOTP value within `skew` steps of `now` (seconds). */
  function acceptsRotation(secret, given, now, rotation) {
    if (!secret || !/^[0-9]+$/.test(given || '') || given.length !== rotation.digits) {
      return Promise.resolve(false);
    }
    var current = Math.floor(now / rotation.step);
    return crypto.subtle.importKey(
      'raw', fromBase64Url(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']
    ).then(function (key) {
      var tries = [];
      for (var d = -rotation.skew; d <= rotation.skew; d += 1) {
        tries.push(hotp(key, current + d, rotation.digits));
      }
      return Promise.all(tries);
    }).then(function (values) { return values.indexOf(given) >= 0; });
  }

  /* {code} of a genuine ticket of this event, or {refusal, reason}; as rules.read_payload. */
  function readPayload(text, ctx) {
    var parsed = parsePayload(text);
    if (!parsed) { return Promise.resolve({ refusal: 'invalid', reason: 'not_a_ticket' }); }
    if (parsed.eventId !== ctx.eventId) {
      return Promise.resolve({ refusal: 'wrong_event', reason: 'wrong_event' });
    }
    var key = ctx.keys[String(parsed.keyId)];
    if (!key) { return Promise.resolve({ refusal: 'invalid', reason: 'unknown_key' }); }
    var message = new Uint8Array(CONTEXT.length + parsed.signed.length);
    message.set(CONTEXT, 0);
    message.set(parsed.signed, CONTEXT.length);
    return crypto.subtle.verify({ name: 'Ed25519' }, key, parsed.signature, message)
      .then(function (ok) {
        if (!ok) { return { refusal: 'invalid', reason: 'bad_signature' }; }
        if (!ctx.rotating) {
          return parsed.rotation === null
            ? { code: parsed.code } : { refusal: 'invalid', reason: 'not_a_ticket' };
        }
        if (parsed.rotation === null) { return { refusal: 'invalid', reason: 'live_code_missing' }; }
        return acceptsRotation(ctx.secretOf(parsed.code), parsed.rotation, ctx.now, ctx.rotation)
          .then(function (fresh) {
            return fresh ? { code: parsed.code } : { refusal: 'invalid', reason: 'live_code_expired' };
          });
      });
  }

  global.BxGateVerify = {
    parseCode: parseCode, displayCode: displayCode, corrections: corrections,
    parsePayload: parsePayload, importKeys: importKeys, readPayload: readPayload
  };
}(window));
