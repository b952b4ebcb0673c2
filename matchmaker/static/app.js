/* Sinergi's own script (CSP: script-src 'self', nothing inline). A form answered with errors
   moves the keyboard focus to its error summary, so screen readers announce the errors first
   and the summary's links lead straight to each field. */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
  /* The list filters fold behind a "Filter" button on phones; wider screens show them open. */
  var filters = document.getElementById("more-filters");
  if (filters && window.matchMedia("(min-width: 768px)").matches) {
    filters.open = true;
  }
})();
