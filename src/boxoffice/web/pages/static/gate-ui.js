/* Gate: what the staff see and hear. A big green / amber / red panel readable at arm's
 * length, the holder's name, why a ticket is refused, a tone (WebAudio) and a vibration, so
 * the result is noticed without looking; and the camera, through the vendored html5-qrcode. */
(function (global) {
  'use strict';
  /* Every word the scripts write, in the page's language (the template's #gate-words). */
  var WORDS = JSON.parse(document.getElementById('gate-words').textContent);
  var PLURAL = new Intl.PluralRules(WORDS.lang);
  var COLORS = {
    admitted: 'green', already_used: 'amber', invalid: 'red', wrong_event: 'red', cancelled: 'red'
  };
  /* The same reasons as boxoffice.checkin.rules.MESSAGES, plus the phone's own. */
  var MESSAGES = WORDS.reasons;
  var audio = null;

  function $(id) { return document.getElementById(id); }

  /* A sentence with its {placeholders} filled; `forms` {one, other} picks by the count n. */
  function say(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  }

  function count(forms, n, values) {
    var form = forms[PLURAL.select(n)] || forms.other;
    var all = { n: n.toLocaleString(WORDS.lang) };
    Object.keys(values || {}).forEach(function (name) { all[name] = values[name]; });
    return say(form, all);
  }

  function clock(date, withSeconds) {
    var parts = { hour: '2-digit', minute: '2-digit' };
    if (withSeconds) { parts.second = '2-digit'; }
    return date.toLocaleTimeString(WORDS.lang, parts);
  }

  function time(iso) {
    if (!iso) { return ''; }
    return clock(new Date(iso), true);
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

  /* What exactly is wrong with a typed code, in the page's language, worked out here from
   * what was typed (online and offline alike; the API's `hint` is English): how many
   * characters it has, or which one codes never use and what it may have been misread for. */
  function misread(reason, typed) {
    /* A page kept offline from before these words existed may meet these scripts: then the
     * reason's own sentence stands alone rather than the verdict failing to show. */
    if (!WORDS.typed_length || !WORDS.misread_for || !WORDS.lookalikes) { return ''; }
    var read = global.BxGateVerify.parseCode(typed);
    if (reason === 'length' && read.reason === 'length') {
      return ' ' + count(WORDS.typed_length, read.length);
    }
    if (reason === 'character' && read.reason === 'character') {
      var words = { position: read.position, character: read.character };
      var instead = (WORDS.lookalikes[read.character] || '').split('');  /* tickets.codes */
      if (!instead.length) { return ' ' + say(WORDS.never_used, words); }
      words.options = new Intl.ListFormat(WORDS.lang, { type: 'disjunction' }).format(instead);
      return ' ' + say(WORDS.misread_for, words);
    }
    return '';
  }

  /* Show one answer: {result, ticket?, first_scanned_at?, first_gate?, reason?, message?}; the
   * options say whether it was decided offline and, for a typed code, what was typed. */
  function show(answer, options) {
    var box = $('result');
    box.className = 'result result-' + (COLORS[answer.result] || 'red');
    box.dataset.result = answer.result;
    $('result-title').textContent = WORDS.titles[answer.result] || answer.result;
    var ticket = answer.ticket;
    var name = ticket ? ticket.holder_name : '';
    if (ticket && options.typeName(ticket.ticket_type_id)) {
      name += ' · ' + options.typeName(ticket.ticket_type_id);
    }
    $('result-name').textContent = name;
    var detail = '';
    if (answer.result === 'already_used') {
      detail = answer.first_gate
        ? say(WORDS.first_scanned_at, { time: time(answer.first_scanned_at), gate: answer.first_gate })
        : say(WORDS.first_scanned, { time: time(answer.first_scanned_at) });
    } else if (answer.result === 'admitted') {
      detail = ticket ? ticket.code : '';
    } else {
      detail = MESSAGES[answer.reason] || answer.message || '';
      if (answer.suggestions && answer.suggestions.length) {
        /* Tickets of this event one typo away, in the page's language ("A or B"). */
        var codes = new Intl.ListFormat(WORDS.lang, { type: 'disjunction' }).format(answer.suggestions);
        detail += ' ' + say(WORDS.did_you_mean, { codes: codes });
      } else if (options.typed !== undefined) {
        detail += misread(answer.reason, options.typed);
      }
    }
    $('result-detail').textContent = detail;
    $('result-source').textContent = options.offline ? WORDS.decided_offline : '';
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

  global.BxGateUi = {
    show: show, busy: busy, Camera: Camera, messages: MESSAGES,
    words: WORDS, say: say, count: count, clock: clock
  };
}(window));
