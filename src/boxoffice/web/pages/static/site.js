/* Small behaviours every page shares, kept out of the HTML so the CSP can forbid inline script. */
(function () {
  "use strict";
  // Irreversible actions (refund, cancel) ask first: <form data-confirm="Refund this order?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  // After a search or an action, move focus to its outcome so screen readers announce it.
  document.addEventListener("DOMContentLoaded", function () {
    var target = document.querySelector("[data-focus]");
    if (target) target.focus();
  });
})();
