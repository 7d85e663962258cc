/* arkaden: a page that follows the core through server-sent events (no polling). Fragments arrive as HTML the
   server escaped already; they replace the elements with the same id. The browser reconnects a broken stream by
   itself; one the server refused (restarting, core busy) is opened again after a few seconds, until the page
   says it is finished (handlers may call done()). */
"use strict";
window.arkadenLive = function (url, handlers) {
  var finished = false, source = null;
  var offline = document.getElementById("offline");  // "no connection: this may be out of date"
  function apply(data) {
    if (offline) { offline.hidden = true; }
    var html = data.html || {};
    Object.keys(html).forEach(function (id) {
      var el = document.getElementById(id);
      if (el && el.innerHTML !== html[id]) { el.innerHTML = html[id]; }
    });
  }
  function done() { finished = true; if (source) { source.close(); } }
  function open() {
    source = new EventSource(url);
    Object.keys(handlers).forEach(function (event) {
      source.addEventListener(event, function (e) {
        var data;
        try { data = JSON.parse(e.data); } catch (err) { return; }
        apply(data);
        handlers[event](data, done);
      });
    });
    source.onerror = function () {
      if (offline && !finished) { offline.hidden = false; }
      if (source.readyState === EventSource.CLOSED && !finished) {
        window.setTimeout(function () { if (!finished) { open(); } }, 5000 + Math.random() * 5000);
      }
    };
  }
  open();
  return { done: done };
};
