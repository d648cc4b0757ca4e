// Waiting room: join once, poll the place, keep the pass for checkout.
(function () {
  "use strict";
  const root = document.querySelector(".queue");
  if (!root) return;
  const eventId = root.dataset.eventId;
  const placeKey = "boxoffice-place:" + eventId;
  const passKey = "boxoffice-pass:" + eventId;
  const $ = (id) => document.getElementById(id);

  // Between polls (paced by the server: up to 2 minutes apart far back) the place moves at the
  // admission rate: count it down locally instead of asking the server every second.
  let last = null;
  let lastAt = 0;

  function render(position, ahead, eta) {
    $("position").textContent = position;
    $("ahead").textContent = ahead;
    const minutes = Math.ceil(eta / 60);
    $("eta").textContent = eta < 60 ? "less than a minute" : minutes + " min";
    $("queue-status").textContent = "Place " + position;
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
      $("pass-expiry").textContent = new Date(answer.pass_expires_at).toLocaleTimeString();
      $("queue-status").textContent = "You are admitted.";
      return false;
    }
    $("place").hidden = false;
    $("sold-out").hidden = !answer.sold_out;
    $("wait").hidden = Boolean(answer.sold_out); // no wait to forecast while nothing is left
    render(answer.position, answer.ahead, answer.eta_seconds);
    if (answer.sold_out) $("queue-status").textContent = "Sold out for now.";
    return true;
  }

  async function poll() {
    const token = localStorage.getItem(placeKey);
    if (!token) return;
    try {
      const response = await fetch("/api/v1/events/" + eventId + "/queue", {
        headers: { Authorization: "Bearer " + token },
      });
      const answer = await response.json();
      if (!response.ok) throw new Error(answer.detail || "The queue did not answer.");
      // After the opening the server hands out a token that carries the final place.
      if (answer.place_token) localStorage.setItem(placeKey, answer.place_token);
      if (show(answer)) setTimeout(poll, 1000 * (answer.poll_after_seconds || 2));
    } catch (error) {
      $("queue-error").textContent = error.message + " Retrying…";
      setTimeout(poll, 5000);
    }
  }

  $("join").addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    const email = $("queue-email").value;
    // Near the front the server holds the answer until the turn (up to ten seconds) and
    // answers with the pass: say what is happening meanwhile, and take one click only.
    const button = $("join").querySelector("button");
    button.disabled = true;
    button.textContent = "Taking your place…";
    const response = await fetch("/api/v1/events/" + eventId + "/queue", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: email }),
    });
    const answer = await response.json();
    if (!response.ok) {
      $("queue-error").textContent = answer.detail || "Could not join the queue.";
      button.disabled = false;
      button.textContent = "Take my place";
      return;
    }
    localStorage.setItem(placeKey, answer.place_token);
    if (show(answer)) setTimeout(poll, 1000 * (answer.poll_after_seconds || 2));
  });

  if (localStorage.getItem(placeKey)) poll();
})();
