/* The public board: numbers and rooms, live. */
"use strict";
window.arkadenLive("/board/events" + window.location.search, { board: function () {} });
