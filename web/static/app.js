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
    window.setInterval(function () {
      if (!busy() && !document.hidden) { window.location.reload(); }
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
  var pickers = document.querySelectorAll("select[data-autosubmit]");
  for (var i = 0; i < pickers.length; i++) {
    pickers[i].addEventListener("change", function (event) { event.target.form.submit(); });
  }

  // <button data-print>: the browser's print dialog (print, or save as PDF for the chart).
  var printers = document.querySelectorAll("[data-print]");
  for (var p = 0; p < printers.length; p++) {
    printers[p].addEventListener("click", function () { window.print(); });
  }

  // The simulator: show the newest texts (scroll the conversation, not the page).
  var conversation = document.getElementById("conversation");
  if (conversation) { conversation.scrollTop = conversation.scrollHeight; }
})();
