/* Gate: what the staff see and hear. A big green / amber / red panel readable at arm's
 * length, the holder's name, why a ticket is refused, a tone (WebAudio) and a vibration, so
 * the result is noticed without looking; and the camera, through the vendored html5-qrcode. */
(function (global) {
  'use strict';
  var TITLES = {
    admitted: 'Admitted', already_used: 'Already used', invalid: 'Invalid',
    wrong_event: 'Wrong event', cancelled: 'Cancelled'
  };
  var COLORS = {
    admitted: 'green', already_used: 'amber', invalid: 'red', wrong_event: 'red', cancelled: 'red'
  };
  /* The same reasons as boxoffice.checkin.rules.MESSAGES, plus the phone's own. */
  var MESSAGES = {
    not_a_ticket: 'This is not a Boxoffice ticket code.',
    unknown_key: "The code is not signed by this event's keys.",
    bad_signature: 'Forged or damaged code: the signature does not match.',
    live_code_missing: 'This event uses live codes: show the ticket page, not a print-out.',
    live_code_expired: 'Expired live code (a screenshot?): ask for the live ticket page.',
    length: 'A ticket code has 7 characters (XXX-XXXX).',
    character: 'The code has a character that codes never use (0, 1, I, L, O, S, U).',
    check: 'Typo: one character is wrong or two are swapped. Check the code again.',
    unknown_code: 'No ticket has this code.',
    wrong_event: 'This ticket is for another event.',
    cancelled: 'This ticket was cancelled or refunded.',
    request: 'This is not a Boxoffice ticket code.',
    no_bundle: 'No offline list on this phone yet: connect once to download it.',
    no_crypto: 'This browser cannot check QR signatures offline: type the code instead.',
    device_revoked: 'This device key was revoked. Ask the organiser for a new one.'
  };
  var audio = null;

  function $(id) { return document.getElementById(id); }

  function time(iso) {
    if (!iso) { return ''; }
    return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  function feedback(result) {
    var tones = result === 'admitted' ? [[880, 0.12]]
      : result === 'already_used' ? [[440, 0.12], [440, 0.12]] : [[196, 0.45]];
    try {
      audio = audio || new (global.AudioContext || global.webkitAudioContext)();
      var at = audio.currentTime;
      tones.forEach(function (tone) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.type = result === 'admitted' ? 'sine' : 'square';
        osc.frequency.value = tone[0];
        gain.gain.value = 0.15;
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(at);
        osc.stop(at + tone[1]);
        at += tone[1] + 0.08;
      });
    } catch (ignored) { /* no audio: the colour and the vibration still tell */ }
    if (navigator.vibrate) {
      navigator.vibrate(result === 'admitted' ? 120 : result === 'already_used' ? [120, 80, 120] : 450);
    }
  }

  /* Show one answer: {result, ticket?, first_scanned_at?, first_gate?, reason?, message?, hint?} */
  function show(answer, options) {
    var box = $('result');
    box.className = 'result result-' + (COLORS[answer.result] || 'red');
    box.dataset.result = answer.result;
    $('result-title').textContent = TITLES[answer.result] || answer.result;
    var ticket = answer.ticket;
    var name = ticket ? ticket.holder_name : '';
    if (ticket && options.typeName(ticket.ticket_type_id)) {
      name += ' · ' + options.typeName(ticket.ticket_type_id);
    }
    $('result-name').textContent = name;
    var detail = '';
    if (answer.result === 'already_used') {
      detail = 'First scanned ' + time(answer.first_scanned_at)
        + (answer.first_gate ? ' at ' + answer.first_gate : '');
    } else if (answer.result === 'admitted') {
      detail = ticket ? ticket.code : '';
    } else {
      detail = MESSAGES[answer.reason] || answer.message || '';
      if (answer.hint) { detail += ' ' + answer.hint; }
    }
    $('result-detail').textContent = detail;
    $('result-source').textContent = options.offline ? 'Decided on this phone (offline) · will sync' : '';
    feedback(answer.result);
  }

  function busy(on) { $('result').classList.toggle('result-busy', on); }

  /* Start or stop the camera; every decoded text goes to onText (repeats within 4 s dropped). */
  function Camera(elementId, onText, onError) {
    this.elementId = elementId;
    this.onText = onText;
    this.onError = onError;
    this.scanner = null;
    this.last = '';
    this.lastAt = 0;
  }

  Camera.prototype.running = function () { return this.scanner !== null; };

  Camera.prototype.start = function () {
    var self = this;
    if (!global.Html5Qrcode) { return Promise.reject(new Error('camera library missing')); }
    self.scanner = new global.Html5Qrcode(self.elementId, {
      formatsToSupport: [global.Html5QrcodeSupportedFormats.QR_CODE], verbose: false
    });
    return self.scanner.start(
      { facingMode: 'environment' },
      { fps: 10, qrbox: { width: 240, height: 240 } },
      function (text) {
        var now = Date.now();
        if (text === self.last && now - self.lastAt < 4000) { return; }
        self.last = text;
        self.lastAt = now;
        self.onText(text);
      },
      function () { /* no code in this frame */ }
    ).catch(function (error) {
      self.scanner = null;
      self.onError(error);
      throw error;
    });
  };

  Camera.prototype.stop = function () {
    var scanner = this.scanner;
    this.scanner = null;
    if (!scanner) { return Promise.resolve(); }
    return scanner.stop().then(function () { scanner.clear(); });
  };

  global.BxGateUi = { show: show, busy: busy, Camera: Camera, messages: MESSAGES };
}(window));
