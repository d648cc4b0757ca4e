// Waiting room: join once, poll the place, keep the pass for checkout.
// Every text it writes comes from the page's data attributes, in the reader's language.
(function () {
  "use strict";
  const root = document.querySelector(".queue");
  if (!root) return;
  const words = root.dataset;
  const eventId = words.eventId;
  const lang = words.lang || document.documentElement.lang || "en";
  const placeKey = "boxoffice-place:" + eventId;
  const passKey = "boxoffice-pass:" + eventId;
  const $ = (id) => document.getElementById(id);
  const plural = new Intl.PluralRules(lang);
  const number = (n) => n.toLocaleString(lang);
  const fill = (text, n) => text.replace("{n}", number(n));

  // Between polls (paced by the server: up to 2 minutes apart far back) the place moves at the
  // admission rate: count it down locally instead of asking the server every second.
  let last = null;
  let lastAt = 0;

  function render(position, ahead, eta) {
    $("position").textContent = number(position);
    $("ahead").textContent = fill(plural.select(ahead) === "one" ? words.aheadOne : words.aheadOther, ahead);
    $("eta").textContent = eta < 60 ? words.etaSoon : fill(words.etaMinutes, Math.ceil(eta / 60));
    $("queue-status").textContent = fill(words.statusPlace, position);
  }

  setInterval(() => {
    if (!last || last.admitted || last.sold_out) return;
    const elapsed = (Date.now() - lastAt) / 1000;
    const moved = Math.floor(elapsed * (last.admission_rate || 0));
    render(
      Math.max(1, last.position - moved),
      Math.max(0, last.ahead - moved),
      Math.max(0, last.eta_seconds - elapsed),
    );
  }, 1000);

  function show(answer) {
    last = answer;
    lastAt = Date.now();
    $("join").hidden = true;
    $("queue-error").textContent = "";
    if (answer.admitted) {
      sessionStorage.setItem(passKey, answer.pass);
      $("place").hidden = true;
      $("admitted").hidden = false;
      // In the zone the site shows every time in, as the event's own time above.
      const until = new Date(answer.pass_expires_at).toLocaleTimeString(lang, {
        hour: "2-digit",
        minute: "2-digit",
        timeZone: words.zone || undefined,
      });
      $("pass-expiry").textContent = words.passUntil.replace("{time}", until);
      $("queue-status").textContent = words.statusAdmitted;
      return false;
    }
    $("place").hidden = false;
    $("sold-out").hidden = !answer.sold_out;
    $("wait").hidden = Boolean(answer.sold_out); // no wait to forecast while nothing is left
    render(answer.position, answer.ahead, answer.eta_seconds);
    if (answer.sold_out) $("queue-status").textContent = words.statusSoldOut;
    return true;
  }

  async function poll() {
    const token = localStorage.getItem(placeKey);
    if (!token) return;
    try {
      // Within ten seconds of the turn the server holds the answer until it comes.
      const response = await fetch("/api/v1/events/" + eventId + "/queue", {
        headers: { Authorization: "Bearer " + token },
      });
      const answer = await response.json();
      if (!response.ok) throw new Error(answer.detail);
      // After the opening the server hands out a token that carries the final place.
      if (answer.place_token) localStorage.setItem(placeKey, answer.place_token);
      if (show(answer)) setTimeout(poll, 1000 * (answer.poll_after_seconds || 2));
    } catch (error) {
      $("queue-error").textContent = words.retrying;
      setTimeout(poll, 5000);
    }
  }

  $("join").addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    const email = $("queue-email").value;
    // Near the front the server holds the answer until the turn (up to ten seconds) and
    // answers with the pass: say what is happening meanwhile, and take one click only.
    const button = $("join").querySelector("button");
    const label = button.textContent;
    button.disabled = true;
    button.textContent = words.taking;
    let response = null;
    let answer = {};
    try {
      response = await fetch("/api/v1/events/" + eventId + "/queue", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: email }),
      });
      answer = await response.json();
    } catch (error) {
      response = null;
    }
    if (!response || !response.ok) {
      const invalid = response && response.status === 422;
      $("queue-error").textContent = invalid ? words.invalidEmail : words.joinFailed;
      button.disabled = false;
      button.textContent = label;
      return;
    }
    localStorage.setItem(placeKey, answer.place_token);
    if (show(answer)) setTimeout(poll, 1000 * (answer.poll_after_seconds || 2));
  });

  if (localStorage.getItem(placeKey)) poll();
})();
