// crswatch dashboard: auto-refresh, confirm dialogs, auto-submit pickers. No inline script (CSP 'self').
(function () {
  "use strict";

  // Reload every data-refresh-seconds unless someone is typing or a dialog is up.
  var seconds = parseInt(document.body.getAttribute("data-refresh-seconds") || "0", 10);
  if (seconds > 0) {
    var busy = function () {
      var active = document.activeElement;
      if (active && active.closest && active.closest("form")) { return true; }
      var fields = document.querySelectorAll("input:not([type=hidden]), textarea");
      for (var i = 0; i < fields.length; i++) {
        if (fields[i].type === "checkbox" || fields[i].type === "radio") { continue; }
        if (fields[i].value !== fields[i].defaultValue) { return true; }
      }
      return false;
    };
    // Fetched with X-Crswatch-Background so the server does not count it as the nurse's activity (the idle
    // sign-out must still come to an unattended screen); only <main> is replaced. A session that has ended
    // answers with a redirect: then a real reload shows the sign-in page, which leads back here.
    var refreshMain = function () {
      fetch(window.location.href, {headers: {"X-Crswatch-Background": "1"}, credentials: "same-origin",
                                   redirect: "manual"})
        .then(function (response) {
          if (response.type === "opaqueredirect" || response.status === 401) {
            if (!window.crswatchLeaving) { window.crswatchLeaving = true; window.location.reload(); }
            return null;
          }
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (!html || busy()) { return; }
          var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
          var main = document.querySelector("main");
          if (fresh && main) { main.innerHTML = fresh.innerHTML; document.dispatchEvent(new Event("crswatch:refreshed")); }
        })
        .catch(function () { /* offline for a moment: the next refresh tries again */ });
    };
    window.setInterval(function () {
      if (!busy() && !document.hidden) { refreshMain(); }
    }, seconds * 1000);
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
