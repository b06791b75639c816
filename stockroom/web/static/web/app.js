/* Stockroom web: small behaviours, no inline script anywhere (the CSP forbids it). */
(function () {
  "use strict";

  // Times are shown in the browser's zone: UserTimezoneMiddleware reads this cookie.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("tz=" + encodeURIComponent(zone)) === -1) {
      document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (e) { /* old browser: times stay in the server zone */ }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // htmx requests carry the CSRF token from <meta name="csrf-token">.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });

  // <form data-confirm="Really?">: ask before a destructive submit.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);

  // <input type="checkbox" data-select-all="name">: tick or untick every checkbox named "name".
  document.addEventListener("change", function (event) {
    var box = event.target;
    var name = box.getAttribute && box.getAttribute("data-select-all");
    if (name) {
      document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (other) {
        if (!other.disabled) { other.checked = box.checked; }
      });
    }
    updateSelectionCount();
  });

  function updateSelectionCount() {
    document.querySelectorAll("[data-selection-count]").forEach(function (output) {
      var name = output.getAttribute("data-selection-count");
      var count = document.querySelectorAll('input[type="checkbox"][name="' + name + '"]:checked').length;
      output.textContent = count === 1 ? "1 order selected" : count + " orders selected";
    });
  }

  // <select data-autosubmit>: filters apply as soon as they change.
  document.addEventListener("change", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-autosubmit") && event.target.form) {
      event.target.form.requestSubmit();
    }
  });

  document.addEventListener("DOMContentLoaded", updateSelectionCount);
})();
