// crswatch dashboard: live updates, confirm dialogs, auto-submit pickers. No inline script (CSP 'self').
(function () {
  "use strict";

  // Live updates (WCAG 2.2.2, 4.1.3): every data-refresh-seconds fetch this page again and replace each
  // [data-live] region that changed, unless focus is inside it or someone is typing, so focus stays where it
  // is. New alerts are announced in the #live-status live region. The #live-toggle button pauses and resumes
  // (remembered for the tab). Without script the page simply does not update.
  var seconds = parseInt(document.body.getAttribute("data-refresh-seconds") || "0", 10);
  var regions = document.querySelectorAll("[data-live]");
  var toggle = document.getElementById("live-toggle");
  var status = document.getElementById("live-status");
  var note = document.getElementById("live-note");
  if (seconds > 0 && regions.length && window.fetch && window.DOMParser && toggle) {
    var paused = window.sessionStorage.getItem("crswatch-live-paused") === "1";
    var busy = function () {
      var fields = document.querySelectorAll("input:not([type=hidden]), textarea");
      for (var i = 0; i < fields.length; i++) {
        if (fields[i].type === "checkbox" || fields[i].type === "radio") { continue; }
        if (fields[i].value !== fields[i].defaultValue) { return true; }
      }
      return false;
    };
    var alertIds = function (root) {
      var found = {};
      var cards = root.querySelectorAll("#open-alerts [data-alert-id]");
      for (var i = 0; i < cards.length; i++) { found[cards[i].getAttribute("data-alert-id")] = cards[i]; }
      return found;
    };
    var show = function () {
      toggle.hidden = false;
      toggle.setAttribute("aria-pressed", paused ? "true" : "false");
      toggle.textContent = paused ? "Resume updates" : "Pause updates";
      note.textContent = paused ? "Updates are paused." : "This page updates every " + seconds + " s.";
    };
    toggle.addEventListener("click", function () {
      paused = !paused;
      window.sessionStorage.setItem("crswatch-live-paused", paused ? "1" : "0");
      show();
    });
    show();
    var update = function () {
      if (paused || document.hidden || busy()) { return; }
      // Fetched with X-Crswatch-Background so the server does not count it as the nurse's activity (the
      // idle sign-out must still come to an unattended screen). A session that has ended answers with a
      // redirect: then a real reload shows the sign-in page, which leads back here.
      window.fetch(window.location.href, { headers: { "X-Crswatch-Background": "1" }, credentials: "same-origin",
                                           redirect: "manual" }).then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401) {
          if (!window.crswatchLeaving) { window.crswatchLeaving = true; window.location.reload(); }
          return null;
        }
        return response.ok ? response.text() : null;
      }).then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var before = alertIds(document);
        var after = alertIds(fresh);
        for (var i = 0; i < regions.length; i++) {
          var region = regions[i];
          var next = fresh.getElementById(region.id);
          if (!next || region.contains(document.activeElement) || region.innerHTML === next.innerHTML) { continue; }
          region.innerHTML = next.innerHTML;
        }
        document.dispatchEvent(new Event("crswatch:refreshed"));
        var conversation = document.getElementById("conversation");
        if (conversation) { conversation.scrollTop = conversation.scrollHeight; }
        var news = [];
        for (var id in after) {
          if (!Object.prototype.hasOwnProperty.call(before, id)) {
            var head = after[id].querySelector(".card-head");
            news.push((head ? head.textContent : "alert " + id).replace(/\s+/g, " ").trim());
          }
        }
        if (news.length && status) { status.textContent = "New alert: " + news.join("; New alert: "); }
      }).catch(function () { /* offline for a moment: the next round tries again */ });
    };
    window.setInterval(update, seconds * 1000);
    window.crswatchUpdate = update;  // the browser tests call it instead of waiting
  }

  // After an action (acknowledge, resolve, pause, save) the confirmation takes focus, so a screen reader
  // reads it and the keyboard goes on from there.
  // A refused form's summary of what to fix takes focus instead: the browser scrolls to it (on the staff page
  // the add form is at the bottom, under the list) and a screen reader reads it.
  var summary = document.querySelector(".error-summary");
  var flashes = summary || document.getElementById("flashes");
  if (flashes) {
    flashes.focus();
    // a #fragment in the address moves focus after load: take it back once the page has settled
    window.addEventListener("load", function () { window.setTimeout(function () { flashes.focus(); }, 0); });
  }

  // <form data-confirm="Really?">: ask before sending.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (!message && form.hasAttribute("data-confirm-if-toci")) {
      var name = form.querySelector("[name=name]");
      if (name && name.value === "tocilizumab") { message = form.getAttribute("data-confirm-if-toci"); }
    }
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });

  // <select data-autosubmit>: choosing an option submits its form (the button stays for no-JS use).
  // Delegated, so it keeps working after a refresh replaces <main>.
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[data-autosubmit]")) { event.target.form.submit(); }
  });

  // <button data-print>: the browser's print dialog (print, or save as PDF for the chart).
  var printers = document.querySelectorAll("[data-print]");
  for (var p = 0; p < printers.length; p++) {
    printers[p].addEventListener("click", function () { window.print(); });
  }

  // <button data-copy="element-id">: copy that element's text (a token shown once) and say so on the button.
  var copiers = document.querySelectorAll("[data-copy]");
  for (var c = 0; c < copiers.length; c++) {
    copiers[c].addEventListener("click", function (event) {
      var button = event.currentTarget;
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) { return; }
      var done = function () { button.textContent = "Copied"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.textContent).then(done);
      } else {  // plain http (a local demo): select it and copy the old way
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        if (document.execCommand("copy")) { done(); }
      }
    });
  }

  // The simulator: show the newest texts (scroll the conversation, not the page).
  var scrollConversation = function () {
    var conversation = document.getElementById("conversation");
    if (conversation) { conversation.scrollTop = conversation.scrollHeight; }
  };
  scrollConversation();
  document.addEventListener("crswatch:refreshed", scrollConversation);
})();

// Idle sign-out warning (issue 16; docs/security.md). Self-contained: needs only the body's data-idle-seconds,
// data-session-url and data-keepalive-url (set while signed in) and the #idle-warning box in base.html.
// A minute before the server would sign the nurse out, it asks the server how long is left (that check is
// never counted as activity); if another tab kept the session alive it waits again, else it shows the
// warning with a countdown. "Stay signed in" POSTs the keepalive (real activity). At zero the page reloads,
// which lands on the sign-in page with next= this page, so signing in returns the nurse here.
(function () {
  "use strict";
  var body = document.body;
  var idle = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  var statusUrl = body.getAttribute("data-session-url");
  var keepaliveUrl = body.getAttribute("data-keepalive-url");
  var box = document.getElementById("idle-warning");
  if (!idle || !statusUrl || !box) { return; }
  var text = document.getElementById("idle-warning-text");
  var stay = document.getElementById("idle-stay");
  var WARN = 60;
  var checkTimer = null;
  var countdown = null;
  var leaving = false;

  // Once: the countdown and a session check can both find the session over; two reloads would race.
  var leave = function () {
    if (leaving || window.crswatchLeaving) { return; }
    leaving = window.crswatchLeaving = true;
    window.clearTimeout(checkTimer);
    window.clearInterval(countdown);
    window.location.reload();
  };

  var csrfToken = function () {
    var field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  };
  var schedule = function (secondsLeft) {
    window.clearTimeout(checkTimer);
    checkTimer = window.setTimeout(check, Math.max(1, secondsLeft - WARN) * 1000);
  };
  var hide = function () {
    window.clearInterval(countdown);
    box.hidden = true;
  };
  var show = function (secondsLeft, canStay) {
    var end = Date.now() + secondsLeft * 1000;
    stay.hidden = !canStay;
    var tick = function () {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      text.textContent = canStay
        ? "No activity here for a while: you will be signed out in " + left + " s. Patient data stays hidden until you sign in again."
        : "Your sign-in reaches its time limit in " + left + " s. Sign in again then to go on.";
      if (left <= 0) { leave(); }
    };
    window.clearInterval(countdown);
    tick();
    countdown = window.setInterval(tick, 1000);
    if (box.hidden) {
      box.hidden = false;
      if (canStay) { stay.focus(); }
    }
  };
  var react = function (status) {
    if (leaving) { return; }
    if (!status || !status.signed_in) { leave(); return; }
    var left = Math.min(status.idle_seconds_left, status.ends_in_seconds);
    if (left > WARN + 5) { hide(); schedule(left); return; }
    show(left, status.idle_seconds_left < status.ends_in_seconds);
    schedule(left + WARN + 1);  // look again when it should be over, in case another tab kept it alive
  };
  var check = function () {
    fetch(statusUrl, {headers: {"X-Crswatch-Background": "1", "Accept": "application/json"},
                      credentials: "same-origin", redirect: "manual"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(react)
      .catch(function () { schedule(WARN + 10); });
  };
  stay.addEventListener("click", function () {
    fetch(keepaliveUrl, {method: "POST", credentials: "same-origin", redirect: "manual",
                         headers: {"X-CSRFToken": csrfToken(), "Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(react)
      .catch(leave);
  });
  schedule(idle);
})();
