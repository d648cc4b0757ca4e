/* Gate: deciding a scan on the phone alone, from the offline bundle, in the server's order
 * (boxoffice.checkin.rules then redemption): is it a genuine ticket of this event (signature
 * or check character), does the bundle know it, was it cancelled, was it already admitted
 * (by another gate, as far as the last bundle knows, or by this phone), else admit it and
 * remember that here. What two offline phones cannot know about each other is settled on
 * upload: the earliest scan wins and the other is reported as a conflict. */
(function (global) {
  'use strict';
  var V = global.BxGateVerify;

  function ticketOf(state, code) {
    var row = state.bundle.rows[code];
    var f = state.field;
    var type = state.bundle.ticket_types[row[f.type]];
    return { code: V.displayCode(code), holder_name: row[f.holder_name],
      ticket_type_id: type ? type.id : null };
  }

  function read(state, input, scannedAt) {
    if (input.code !== undefined) {
      var typed = V.parseCode(input.code);
      return Promise.resolve(typed.code ? typed : { refusal: 'invalid', reason: typed.reason });
    }
    if (!state.keys) { return Promise.resolve({ refusal: 'invalid', reason: 'no_crypto' }); }
    var b = state.bundle;
    return V.readPayload(input.payload, {
      eventId: b.event.id, keys: state.keys, rotating: b.event.rotating_qr,
      rotation: b.rotation, now: scannedAt / 1000,
      secretOf: function (code) {
        var row = b.rows[code];
        return row ? row[state.field.rotation_secret] : null;
      }
    });
  }

  function remember(state, code, at) {
    return state.store.put('admitted', code, { at: at, gate: state.gate || null });
  }

  /* The answer the server would give, as far as this phone knows; admits at most once here. */
  function decide(state, input, scannedAt) {
    if (!state.bundle) { return Promise.resolve({ result: 'invalid', reason: 'no_bundle' }); }
    return read(state, input, scannedAt).then(function (reading) {
      if (reading.refusal) {
        var refused = { result: reading.refusal, reason: reading.reason };
        if (reading.reason === 'check') {  /* a typo: the codes it could have been, if here */
          refused.suggestions = V.corrections(input.code).filter(function (code) {
            return state.bundle.rows[code] !== undefined;
          }).map(V.displayCode);
        }
        return refused;
      }
      var code = reading.code;
      var row = state.bundle.rows[code];
      if (!row) { return { result: 'invalid', reason: 'unknown_code' }; }
      var ticket = ticketOf(state, code);
      var f = state.field;
      if (state.revoked.has(code) || row[f.status] === 'c') {
        return { result: 'cancelled', reason: 'cancelled', ticket: ticket };
      }
      return state.store.get('admitted', code).then(function (mine) {
        if (mine) {
          return { result: 'already_used', ticket: ticket, first_gate: mine.gate,
            first_scanned_at: new Date(mine.at).toISOString() };
        }
        if (row[f.status] === 'u') {
          var at = row[f.admitted_at];
          return { result: 'already_used', ticket: ticket, first_gate: row[f.gate],
            first_scanned_at: at ? new Date(at * 1000).toISOString() : null };
        }
        return remember(state, code, scannedAt).then(function () {
          return { result: 'admitted', ticket: ticket };
        });
      });
    }).catch(function () {
      return { result: 'invalid', reason: 'no_crypto' };
    });
  }

  global.BxGateOffline = { decide: decide, remember: remember };
}(window));
