/* Checkout: tokenise the card at the gateway from this browser, then place the order with us.
 *
 * The card number goes only to the gateway (POST {gateway}/v1/payment_methods with the
 * publishable key); our server receives the payment method id it answers with.
 *
 * One purchase attempt = one Idempotency-Key. The page arrives with a key; every request
 * of the attempt (a double click, an automatic retry after a lost answer, "Pay" pressed
 * again after a network error) sends the same key with the same body, so the server
 * answers them all with the one order and the card is charged once. The form stays locked
 * while an attempt's outcome is unknown. Only after a definite "no" (declined, sold out,
 * limit reached) does the next attempt get a new key: it is then a new purchase.
 */
(function () {
  "use strict";
  var form = document.getElementById("checkout");
  if (!form) return;
  var msg = document.getElementById("checkout-messages").dataset;
  var pay = document.getElementById("pay");
  var outcome = document.getElementById("outcome");
  var progress = document.getElementById("progress");
  var fieldsets = form.querySelectorAll("fieldset");
  var card = {
    number: document.getElementById("card-number"),
    expiry: document.getElementById("card-expiry"),
    cvc: document.getElementById("card-cvc"),
  };
  var gateway = form.dataset.gatewayUrl.replace(/\/$/, "");
  var key = form.dataset.idempotencyKey;
  var attempt = null; // {key, body} of the attempt whose outcome we do not know yet
  var method = null; // {card, id}: the payment method made from the card as typed
  var busy = false;
  var leaving = false; // the page is on its way to the confirmation: keep "Pay" disabled

  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // unlike randomUUID, also on plain-HTTP LAN demos
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  function say(text, kind) {
    outcome.textContent = text;
    outcome.className = "alert" + (kind ? " alert-" + kind : "");
    outcome.hidden = false;
    outcome.focus();
  }

  function fieldError(input, text) {
    var slot = document.getElementById(input.id + "-error");
    slot.textContent = text || "";
    slot.hidden = !text;
    if (text) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
  }

  function lock(locked) {
    Array.prototype.forEach.call(fieldsets, function (f) { f.disabled = locked; });
  }

  function setBusy(on) {
    busy = on;
    pay.disabled = on;
    form.setAttribute("aria-busy", on ? "true" : "false");
    progress.textContent = on ? msg.processing : "";
  }

  function finish(kind, text) {
    // A definite answer: this attempt is over, the next one is a new purchase.
    attempt = null;
    key = newKey();
    lock(false);
    pay.textContent = msg.pay;
    say(text, kind);
  }

  function items() {
    var chosen = [];
    form.querySelectorAll("select.qty").forEach(function (select) {
      var quantity = parseInt(select.value, 10);
      if (quantity > 0) chosen.push({ ticket_type_id: select.dataset.ticketType, quantity: quantity });
    });
    return chosen;
  }

  function expiry(text) {
    var m = /^\s*(\d{1,2})\s*\/?\s*(\d{2}|\d{4})\s*$/.exec(text);
    if (!m) return null;
    var month = parseInt(m[1], 10);
    var year = m[2].length === 2 ? 2000 + parseInt(m[2], 10) : parseInt(m[2], 10);
    return month >= 1 && month <= 12 ? { month: month, year: year } : null;
  }

  async function paymentMethod() {
    var number = card.number.value.replace(/[\s-]/g, "");
    var exp = expiry(card.expiry.value);
    var cvc = card.cvc.value.trim();
    [card.number, card.expiry, card.cvc].forEach(function (i) { fieldError(i, ""); });
    if (!/^\d{12,19}$/.test(number)) { fieldError(card.number, msg.invalidNumber); card.number.focus(); return null; }
    if (!exp) { fieldError(card.expiry, msg.invalidExpiry); card.expiry.focus(); return null; }
    var typed = [number, exp.month, exp.year, cvc].join("|");
    if (method && method.card === typed) return method.id;
    var body = new URLSearchParams({
      type: "card",
      "card[number]": number,
      "card[exp_month]": String(exp.month),
      "card[exp_year]": String(exp.year),
      "card[cvc]": cvc,
    });
    var res;
    try {
      res = await fetch(gateway + "/v1/payment_methods", {
        method: "POST",
        headers: { Authorization: "Bearer " + form.dataset.publishableKey },
        body: body,
        credentials: "omit",
        referrerPolicy: "no-referrer",
      });
    } catch (e) {
      say(msg.gatewayDown, "error");
      return null;
    }
    var data = await res.json().catch(function () { return {}; });
    if (res.ok && data.id) {
      method = { card: typed, id: data.id };
      return data.id;
    }
    var code = (data.error && data.error.code) || "";
    var text = msg.invalidNumber, input = card.number;
    if (code === "expired_card") { text = msg.expired; input = card.expiry; }
    else if (code.indexOf("expiry") >= 0) { text = msg.invalidExpiry; input = card.expiry; }
    else if (code === "invalid_cvc") { text = msg.invalidCvc; input = card.cvc; }
    else if (res.status !== 402 && code.indexOf("number") < 0) { say(msg.gatewayDown, "error"); return null; }
    fieldError(input, text);
    say(text, "error");
    return null;
  }

  function admissionPass() {
    // Kept by the waiting room's page (queue.js) once the buyer is admitted to a queued sale.
    try { return sessionStorage.getItem("boxoffice-pass:" + form.dataset.eventId); } catch (e) { return null; }
  }

  async function send(current) {
    // Retries of one attempt: same key, same body. Never a second charge.
    for (var tries = 0; ; tries++) {
      var res = null, data = {};
      var headers = { "Content-Type": "application/json", "Idempotency-Key": current.key, Accept: "application/json" };
      var pass = admissionPass();
      if (pass) headers["Boxoffice-Waiting-Room-Pass"] = pass;
      try {
        res = await fetch("/api/v1/orders", {
          method: "POST",
          headers: headers,
          body: current.body,
          credentials: "same-origin",
        });
        data = await res.json().catch(function () { return {}; });
      } catch (e) { res = null; }
      var again = res === null || res.status >= 500 ||
        (res.status === 409 && data.code === "idempotency_key_in_progress") ||
        (res.status === 429 && data.code === "rate_limited");
      if (!again) return { status: res.status, data: data };
      if (tries >= 3) return null;
      await sleep(500 * Math.pow(2, tries));
    }
  }

  function confirmation(order) {
    leaving = true;
    location.assign("/orders/" + encodeURIComponent(order.id) + "?token=" + encodeURIComponent(order.access_token));
  }

  async function waitForSettlement(order) {
    say(msg.pending, "info");
    for (var i = 0; i < 80; i++) {
      await sleep(1500);
      var res;
      try {
        res = await fetch("/api/v1/orders/" + encodeURIComponent(order.id), {
          headers: { Authorization: "Bearer " + order.access_token, Accept: "application/json" },
        });
      } catch (e) { continue; }
      if (!res.ok) continue;
      var now = await res.json();
      if (now.status === "paid") return confirmation(order);
      if (now.status !== "pending") return finish("error", msg.released);
    }
    say(msg.stillPending, "info");
  }

  function answer(result) {
    var data = result.data;
    if (result.status === 201) return confirmation(data);
    if (result.status === 202) { attempt = null; return waitForSettlement(data); }
    if (data.code === "card_declined") {
      card.number.value = ""; card.cvc.value = ""; method = null;
      var text = { insufficient_funds: msg.insufficientFunds, processing_error: msg.processingError }[data.decline_code];
      finish("error", text || msg.declined);
      return;
    }
    if (data.code === "sold_out") {
      if (window.htmx) window.htmx.trigger("#availability-poll", "refresh");
      return finish("error", msg.soldOut);
    }
    if (data.code === "buyer_limit_reached") return finish("error", msg.limit);
    if (data.code === "not_on_sale") return finish("error", msg.notOnSale);
    if (data.code === "waiting_room_pass_required") {
      finish("error", msg.queue);
      if (form.dataset.queueUrl) {
        var link = document.createElement("a");
        link.href = form.dataset.queueUrl;
        link.textContent = " " + document.querySelector("#queue-notice a").textContent;
        outcome.appendChild(link);
      }
      return;
    }
    if (data.code === "invalid_request") return finish("error", msg.invalid);
    finish("error", msg.error);
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    if (busy) return; // a second click while paying changes nothing
    setBusy(true);
    try {
      if (!attempt) {
        outcome.hidden = true;
        var chosen = items();
        if (!chosen.length) { say(msg.choose, "error"); return; }
        var name = document.getElementById("buyer-name");
        var email = document.getElementById("buyer-email");
        if (!name.reportValidity() || !email.reportValidity()) return;
        var pm = await paymentMethod();
        if (!pm) return;
        attempt = {
          key: key,
          body: JSON.stringify({
            event_id: form.dataset.eventId,
            items: chosen,
            // The page's language: the tickets e-mail and PDF are written in it.
            buyer: {
              name: name.value.trim(),
              email: email.value.trim(),
              locale: document.documentElement.lang || undefined,
            },
            payment_method: pm,
          }),
        };
        lock(true);
      }
      var result = await send(attempt);
      if (result === null) {
        // Outcome unknown: keep the attempt (same key, same body) for "Try again".
        pay.textContent = msg.retry;
        say(msg.network, "error");
        return;
      }
      await answer(result);
    } finally {
      if (!leaving) setBusy(false);
    }
  });
})();
