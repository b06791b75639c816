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


  // Batch processing with a progress bar: the selected orders go to the server a few at a time
  // (partial=1 answers with escaped outcome rows); without JavaScript the form posts normally.
  var CHUNK = 5;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-batch-process")) { return; }
    var submitter = event.submitter;
    if (!submitter || !submitter.hasAttribute("data-process-button") || event.defaultPrevented) { return; }
    var ids = Array.prototype.map.call(
      form.querySelectorAll('input[type="checkbox"][name="order"]:checked'), function (box) { return box.value; });
    if (ids.length === 0) { return; } // the server answers with "No orders were selected"
    event.preventDefault();
    runBatch(form, submitter, ids);
  });

  function runBatch(form, button, ids) {
    var panel = form.querySelector("[data-batch-progress]");
    var bar = panel.querySelector("progress");
    var text = panel.querySelector("[data-batch-progress-text]");
    var list = panel.querySelector("[data-batch-outcomes]");
    var method = form.querySelector('[name="shipping_method"]').value;
    var done = 0, ok = 0, failed = 0;
    panel.hidden = false;
    list.innerHTML = "";
    bar.max = ids.length;
    bar.value = 0;
    button.disabled = true;
    text.textContent = "0 of " + ids.length;

    function next(start) {
      if (start >= ids.length) {
        button.disabled = false;
        text.textContent = "Done: " + ok + " processed" + (failed ? ", " + failed + " not processed (see why below)" : "") + ".";
        return;
      }
      var chunk = ids.slice(start, start + CHUNK);
      var body = new FormData();
      body.append("csrfmiddlewaretoken", csrfToken());
      body.append("shipping_method", method);
      body.append("partial", "1");
      chunk.forEach(function (id) {
        body.append("order", id);
        var tracking = form.querySelector('[name="tracking-' + id + '"]');
        body.append("tracking-" + id, tracking ? tracking.value : "");
      });
      fetch(form.getAttribute("action"), { // not form.action: a control named "action" shadows it
        method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() } })
        .then(function (response) {
          if (!response.ok) { throw new Error("the server answered " + response.status); }
          return response.text();
        })
        .then(function (html) {
          list.insertAdjacentHTML("beforeend", html); // server-rendered, escaped by Django templates
          chunk.forEach(function (id) {
            var item = list.querySelector('[data-order-id="' + id + '"]');
            var success = item && item.getAttribute("data-outcome") === "ok";
            if (success) { ok += 1; } else { failed += 1; }
            var row = document.querySelector('[data-order-row="' + id + '"]');
            if (row && success) {
              row.classList.add("processed");
              var status = row.querySelector("[data-status]");
              if (status) { status.textContent = "Processed"; status.className = "badge ok"; }
              var box = row.querySelector('input[name="order"]');
              if (box) { box.checked = false; box.disabled = true; }
              var tracking = row.querySelector('input[name^="tracking-"]');
              if (tracking) {  // a processed order's tracking number is shown, no longer edited here
                var shown = document.createElement("span");
                shown.className = "wrap-anywhere";
                shown.setAttribute("data-tracking", "");
                shown.textContent = tracking.value;
                var label = row.querySelector('label[for="' + tracking.id + '"]');
                if (label) { label.remove(); }
                tracking.replaceWith(shown);
              }
            }
          });
        })
        .catch(function (error) {
          failed += chunk.length;
          var item = document.createElement("li");
          item.className = "outcome failed";
          item.textContent = "Orders " + chunk.join(", ") + " were not processed: " + error.message + ". Reload the page and try again.";
          list.appendChild(item);
        })
        .then(function () {
          done += chunk.length;
          bar.value = done;
          text.textContent = done + " of " + ids.length;
          updateSelectionCount();
          next(start + CHUNK);
        });
    }
    next(0);
  }

  document.addEventListener("DOMContentLoaded", updateSelectionCount);

  // Account options: a field the channel's spec shows only for some values of another option (e.g.
  // Amazon's report-mode fields, while orders come from reports) follows that option's select.
  function showDependentOptions() {
    document.querySelectorAll("[data-shown-when]").forEach(function (field) {
      var source = document.getElementById("id_" + field.getAttribute("data-shown-when"));
      if (!source) { return; }
      var shown = (field.getAttribute("data-shown-values") || "").split(" ");
      field.hidden = shown.indexOf(source.value) < 0;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id && event.target.id.indexOf("id_") === 0) { showDependentOptions(); }
  });
  document.addEventListener("DOMContentLoaded", showDependentOptions);
})();
