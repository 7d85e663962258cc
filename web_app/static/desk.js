/* The desk page: live updates, actions without reloading, keyboard shortcuts, free slots for an appointment. */
"use strict";
(function () {
  var main = document.getElementById("main");
  var counter = main.dataset.counter, csrf = main.dataset.csrf;
  var message = document.getElementById("message");
  window.arkadenLive("/desk/" + encodeURIComponent(counter) + "/events", {
    desk: function () {},
    logout: function (data, done) { done(); window.location.assign("/login"); }  // session over: log in again
  });

  function send(form) {
    var body = new URLSearchParams(new FormData(form));
    message.textContent = "…";
    return fetch(form.getAttribute("action"), {  // not form.action: an input named "action" hides it
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf }
    }).then(function (r) {
      if (r.status === 401 || r.status === 403) { window.location.reload(); return null; }
      return r.json();
    }).then(function (answer) {
      if (!answer) { return; }
      message.textContent = answer.message;
      message.className = "message " + (answer.ok ? "ok" : "error");
      if (answer.ok && form.id === "handover") { form.reset(); slotSelect.disabled = true; }
    }).catch(function () { message.textContent = main.dataset.noAnswer; message.className = "message error"; });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.matches("form.act, form#handover")) { e.preventDefault(); send(form); }
  });

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.altKey || e.metaKey) { return; }
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") { return; }
    var button = document.querySelector('#desk-actions button[data-key="' + e.key.toUpperCase() + '"]');
    if (button) { e.preventDefault(); button.click(); }
  });

  var handover = document.getElementById("handover");
  var service = document.getElementById("to_service");
  var slotSelect = document.getElementById("slot");
  function loadSlots() {
    var kind = handover.querySelector("input[name=action]:checked").value;
    slotSelect.innerHTML = "";
    slotSelect.disabled = true;
    if (kind !== "book" || !service.value) { return; }
    fetch("/desk/" + encodeURIComponent(counter) + "/slots?service=" + encodeURIComponent(service.value),
          { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        answer.slots.forEach(function (s) {
          var option = document.createElement("option");
          option.value = s.value; option.textContent = s.label;
          slotSelect.appendChild(option);
        });
        slotSelect.disabled = answer.slots.length === 0;
      });
  }
  service.addEventListener("change", loadSlots);
  handover.addEventListener("change", function (e) { if (e.target.name === "action") { loadSlots(); } });
})();
