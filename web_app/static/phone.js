/* The phone page: follows the ticket live; when called, the whole screen says so, the phone vibrates and, if the
   client turned sound on, beeps (browsers allow sound only after a tap). */
"use strict";
(function () {
  var main = document.getElementById("main");
  var state = main.dataset.state, audio = null;
  var soundButton = document.getElementById("sound");

  function beep() {
    if (!audio) { return; }
    [0, 0.35, 0.7].forEach(function (at) {
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.3;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(audio.currentTime + at); osc.stop(audio.currentTime + at + 0.2);
    });
  }
  if (soundButton) {
    soundButton.addEventListener("click", function () {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (Ctx && !audio) { audio = new Ctx(); }
      if (audio && audio.resume) { audio.resume(); }
      if (navigator.vibrate) { navigator.vibrate(60); }  // browsers let a page vibrate only after a tap
      soundButton.setAttribute("aria-pressed", "true");
      beep();
    });
  }

  var url = window.location.pathname + "/events" + window.location.search;
  window.arkadenLive(url, {
    phone: function (data) {
      document.title = data.title;
      document.body.className = "phone state-" + data.state;
      main.dataset.state = data.state;
      if (data.state === "called" && state !== "called") {
        if (navigator.vibrate) { navigator.vibrate([400, 150, 400, 150, 400]); }
        beep();
      }
      state = data.state;
    },
    closed: function (data, done) {
      document.body.className = "phone state-closed";
      if (soundButton) { soundButton.hidden = true; }
      done();
    }
  });
})();
