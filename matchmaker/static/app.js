/* Sinergi's own script (CSP: script-src 'self', nothing inline). A form answered with errors
   moves the keyboard focus to its error summary, so screen readers announce the errors first
   and the summary's links lead straight to each field. */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
})();
