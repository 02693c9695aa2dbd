// vendor-emulator inspector: small progressive enhancements. Every page works without
// this file; it adds the live journal tail, live curl lines, copy buttons and
// auto-submitting pickers.
(function () {
  "use strict";

  // Pickers (tenant, time zone) apply on change.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Dangerous buttons ask first.
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  // Copy buttons on curl lines.
  document.querySelectorAll(".curl").forEach(function (box) {
    var button = box.querySelector("[data-copy]");
    if (!button || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(box.querySelector("code").textContent).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 1200);
      });
    });
  });

  // Curl lines follow the form being edited: the server builds them (/controls/preview).
  var previewUrl = "/_emulator/ui/controls/preview";
  document.querySelectorAll("form[data-curl-action]").forEach(function (form) {
    var action = form.getAttribute("data-curl-action");
    var box = document.querySelector('[data-curl-for="' + action + '"] code');
    if (!box || action === "failures") return;
    var timer = null;
    function refresh() {
      var params = new URLSearchParams(new FormData(form));
      params.set("action", action);
      fetch(previewUrl + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (text) { box.textContent = text; })
        .catch(function () {});
    }
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 150); });
    form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(refresh, 50); });
  });

  // The journal's live tail: new rows arrive as Server-Sent Events (HTML, newest first).
  var table = document.querySelector("table[data-stream]");
  var live = document.querySelector("[data-live]");
  if (table && window.EventSource) {
    var body = table.querySelector("tbody");
    var maxRows = parseInt(table.getAttribute("data-max-rows"), 10) || 200;
    var label = live && live.querySelector("[data-live-text]");
    var source = new EventSource(table.getAttribute("data-stream"));
    source.addEventListener("open", function () {
      if (live) live.classList.add("on");
      if (label) label.textContent = "Live";
    });
    source.addEventListener("error", function () {
      if (live) live.classList.remove("on");
      if (label) label.textContent = "Reconnecting…";
    });
    source.addEventListener("rows", function (event) {
      var holder = document.createElement("tbody");
      holder.innerHTML = event.data;
      var rows = Array.prototype.slice.call(holder.children);
      for (var i = rows.length - 1; i >= 0; i--) {
        var row = rows[i];
        row.classList.add("fresh");
        row.addEventListener("animationend", function (e) { e.currentTarget.classList.remove("fresh"); }, { once: true });
        body.insertBefore(row, body.firstChild);
      }
      while (body.children.length > maxRows) body.removeChild(body.lastChild);
      var empty = document.querySelector("[data-empty]");
      if (empty) empty.remove();
    });
  }
})();
