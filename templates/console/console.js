// The console's one script: a running send's numbers, live. The page
// shows them without it; with it they follow the send's event stream
// (server-sent events at the URL in data-events).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector("[data-events]");
  if (!box || !window.EventSource) return;
  var src = new EventSource(box.getAttribute("data-events"));
  src.addEventListener("progress", function (ev) {
    var p = JSON.parse(ev.data);
    box.querySelectorAll("[data-count]").forEach(function (el) {
      var k = el.getAttribute("data-count");
      if (k in p) el.textContent = String(p[k]);
    });
    var bar = box.querySelector("[data-progress]");
    if (bar) { bar.max = p.total; bar.value = p.sent; }
    box.setAttribute("data-updated", String(Date.now()));
    if (p.done) src.close();
  });
});
