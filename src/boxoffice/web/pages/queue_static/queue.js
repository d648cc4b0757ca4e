// Waiting room: join once, poll the place, keep the pass for checkout.
(function () {
  "use strict";
  const root = document.querySelector(".queue");
  if (!root) return;
  const eventId = root.dataset.eventId;
  const placeKey = "boxoffice-place:" + eventId;
  const passKey = "boxoffice-pass:" + eventId;
  const $ = (id) => document.getElementById(id);

  function show(answer) {
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
    $("position").textContent = answer.position;
    $("ahead").textContent = answer.ahead;
    const minutes = Math.ceil(answer.eta_seconds / 60);
    $("eta").textContent = answer.eta_seconds < 60 ? "less than a minute" : minutes + " min";
    $("queue-status").textContent = "Place " + answer.position;
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
      if (show(answer)) setTimeout(poll, 1000 * (answer.poll_after_seconds || 2));
    } catch (error) {
      $("queue-error").textContent = error.message + " Retrying…";
      setTimeout(poll, 5000);
    }
  }

  $("join").addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    const email = $("queue-email").value;
    const response = await fetch("/api/v1/events/" + eventId + "/queue", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: email }),
    });
    const answer = await response.json();
    if (!response.ok) {
      $("queue-error").textContent = answer.detail || "Could not join the queue.";
      return;
    }
    localStorage.setItem(placeKey, answer.place_token);
    if (show(answer)) setTimeout(poll, 1000 * (answer.poll_after_seconds || 2));
  });

  if (localStorage.getItem(placeKey)) poll();
})();
